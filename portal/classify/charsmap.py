"""Build a SentencePiece "precompiled charsmap" (the normaliser blob fast tokenizers read)."""

import struct

# A darts-clone double-array unit packs: label (bits 0-7), has_leaf (bit 8),
# offset to the node's children (bits 10-31, bit 9 = 0 means "not shifted").
# A leaf unit has bit 31 set and holds the value in bits 0-30.
_MAX_OFFSET = 1 << 21


def build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Return the charsmap blob that replaces each key string by its value.

    Layout, as SentencePiece writes it and `tokenizers.normalizers.Precompiled`
    reads it: uint32 size of the trie in bytes, the trie units, then the
    replacement strings, each ending with a NUL byte; a key's trie value is the
    offset of its replacement in that string table.
    """
    strings = bytearray()
    offsets: dict[str, int] = {}
    keyed_values: dict[bytes, int] = {}
    for key in sorted(mapping):
        replacement = mapping[key]
        if replacement not in offsets:
            offsets[replacement] = len(strings)
            strings += replacement.encode("utf-8") + b"\0"
        keyed_values[key.encode("utf-8")] = offsets[replacement]
    units = _build_double_array(keyed_values)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _build_double_array(keyed_values: dict[bytes, int]) -> list[int]:
    """Lay out a byte trie as a darts-clone double array (unique base per node)."""
    root: dict = {}
    for key, value in keyed_values.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units: list[int] = [0]
    used_positions = {0}
    used_bases: set[int] = set()
    next_free = 1

    def ensure(size: int) -> None:
        if len(units) < size:
            units.extend([0] * (size - len(units)))

    # Breadth-first: (trie node, its position in the array, its label).
    queue = [(root, 0, 0)]
    while queue:
        next_queue = []
        for node, position, label in queue:
            labels = sorted(0 if k is None else k for k in node)
            base = _find_base(labels, used_positions, used_bases, next_free)
            while next_free in used_positions:
                next_free += 1
            used_bases.add(base)
            offset = position ^ base
            if offset >= _MAX_OFFSET:
                raise ValueError("charsmap too large for an unshifted darts offset")
            has_leaf = 1 if None in node else 0
            ensure(max(base ^ c for c in labels) + 1)
            units[position] = (offset << 10) | (has_leaf << 8) | label
            for c in labels:
                used_positions.add(base ^ c)
            if has_leaf:
                units[base] = (1 << 31) | node[None]
            for byte, child in sorted((k, v) for k, v in node.items() if k is not None):
                next_queue.append((child, base ^ byte, byte))
        queue = next_queue
    return units


def _find_base(labels: list[int], used_positions: set[int], used_bases: set[int], start: int) -> int:
    """Smallest base, not used by another node, whose child slots are all free."""
    first = labels[0]
    candidate = start ^ first  # so that the first child lands on the first free slot
    while True:
        if candidate > 0 and candidate not in used_bases and all(
            (candidate ^ c) not in used_positions for c in labels
        ):
            return candidate
        start += 1
        while start in used_positions:
            start += 1
        candidate = start ^ first
