"""Feedback references (GCH-XXXX-XXXX) that are easy to read aloud, type and check."""

from __future__ import annotations

import re
import secrets
import unicodedata

PREFIX = "GCH"
# No 0/O, 1/I/L or U/V, so nothing printed can be misread as something else. Its size, 29,
# is prime, which is what lets one check character catch every single-character mistake
# and every swap of two neighbouring characters.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_BASE = len(ALPHABET)
_RANDOM_LENGTH = 7  # plus one check character: 29**7, about 1.7e10 references
# Weights 1..8 are distinct and non-zero modulo 29, and neighbours differ by 1.
_WEIGHTS = range(1, _RANDOM_LENGTH + 2)
_INVERSE_OF_LAST_WEIGHT = pow(_WEIGHTS[-1], -1, _BASE)

# A reference as printed, for finding one in a text or a page.
PATTERN = re.compile(rf"{PREFIX}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")

# What people type in place of a separator.
_SEPARATORS = str.maketrans("", "", " \t-_.‐‑‒–—/")


def _check_character(body: str) -> str:
    """The character that makes the weighted sum of all eight characters a multiple of 29."""
    total = sum(weight * _VALUES[char] for weight, char in zip(_WEIGHTS, body))
    return ALPHABET[(-total * _INVERSE_OF_LAST_WEIGHT) % _BASE]


def _format(body: str) -> str:
    return f"{PREFIX}-{body[:4]}-{body[4:]}"


def new_reference() -> str:
    """A fresh random reference such as GCH-7K3M-Q9PX.

    References are random, not sequential, so they reveal nothing about volumes. At 1.7e10
    possibilities two references can still coincide (about one chance in four across
    100,000 of them), so the store keeps a unique constraint and the caller draws again.
    """
    body = _random_body()
    return _format(body + _check_character(body))


# The largest multiple of the alphabet's size that fits in a byte: bytes below it map uniformly.
_UNIFORM_BYTES = 256 - 256 % _BASE


def _random_body() -> str:
    """Random characters from one call to the system's generator (intake draws one per submission)."""
    chars: list[str] = []
    while len(chars) < _RANDOM_LENGTH:
        chars += [ALPHABET[b % _BASE] for b in secrets.token_bytes(2 * _RANDOM_LENGTH) if b < _UNIFORM_BYTES]
    return "".join(chars[:_RANDOM_LENGTH])


def normalise_reference(typed: str) -> str | None:
    """The canonical reference for what someone typed or read out, or None if it is not one.

    Accepts any case, spaces or dashes anywhere (or none), full-width characters, and the
    GCH prefix or not. Characters outside the alphabet (0, O, 1, I, L, U, V) are never
    printed, so they cannot be mapped back with certainty and make the reference invalid;
    the check character rejects any single wrong character and any swapped neighbours.
    """
    compact = unicodedata.normalize("NFKC", typed).upper().translate(_SEPARATORS)
    if len(compact) == len(PREFIX) + _RANDOM_LENGTH + 1 and compact.startswith(PREFIX):
        compact = compact[len(PREFIX):]
    if len(compact) != _RANDOM_LENGTH + 1 or any(char not in _VALUES for char in compact):
        return None
    body, check = compact[:-1], compact[-1]
    if _check_character(body) != check:
        return None
    return _format(compact)
