"""Tests for feedback references: format, uniqueness, check character, normalisation."""

import re
from collections import Counter

import pytest

from portal.feedback.reference import ALPHABET, new_reference, normalise_reference

CANONICAL = re.compile(r"GCH-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTWXYZ]{4}")
KNOWN_VALID = "GCH-7K3M-Q9PX"


def test_format():
    for _ in range(1000):
        reference = new_reference()
        assert CANONICAL.fullmatch(reference), reference


def test_alphabet_has_no_confusable_characters():
    assert not set("0O1ILUV") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 29


def test_new_references_are_valid():
    for _ in range(1000):
        reference = new_reference()
        assert normalise_reference(reference) == reference


def test_hundred_thousand_references_hardly_ever_coincide():
    references = [new_reference() for _ in range(100_000)]
    repeats = sum(count - 1 for count in Counter(references).values())
    # 7 random characters give 29**7 (1.7e10) references: the expected number of repeats
    # among 100,000 is 0.29 (birthday bound), so uniqueness is the store's unique constraint.
    # Six or more repeats would mean a broken generator (chance below one in a million).
    assert repeats <= 5


def test_every_character_is_used():
    seen = Counter(char for _ in range(5000) for char in new_reference()[4:].replace("-", ""))
    assert set(seen) == set(ALPHABET)


def _references(count: int) -> list[str]:
    return [new_reference() for _ in range(count)]


def _body(reference: str) -> str:
    return reference[4:8] + reference[9:13]


def _format(body: str) -> str:
    return f"GCH-{body[:4]}-{body[4:]}"


def test_check_character_catches_every_single_substitution():
    for reference in _references(300):
        body = _body(reference)
        for position in range(8):
            for replacement in ALPHABET:
                if replacement == body[position]:
                    continue
                mistyped = body[:position] + replacement + body[position + 1:]
                assert normalise_reference(_format(mistyped)) is None, (reference, mistyped)


def test_check_character_catches_every_adjacent_transposition():
    swaps_checked = 0
    for reference in _references(2000):
        body = _body(reference)
        for position in range(7):
            if body[position] == body[position + 1]:
                continue
            swapped = body[:position] + body[position + 1] + body[position] + body[position + 2:]
            assert normalise_reference(_format(swapped)) is None, (reference, swapped)
            swaps_checked += 1
    assert swaps_checked > 10_000


@pytest.mark.parametrize(
    "typed",
    [
        "GCH-7K3M-Q9PX",
        "gch-7k3m-q9px",
        "GCH7K3MQ9PX",
        "gch 7k3m q9px",
        " Gch - 7K3M - Q9PX ",
        "7K3M-Q9PX",
        "7k3mq9px",
        "7K3M Q9PX",
        "gch_7k3m_q9px",
        "GCH–7K3M–Q9PX",  # en dashes from a word processor
        "ＧＣＨ－７Ｋ３Ｍ－Ｑ９ＰＸ",  # full-width characters from a phone keyboard
        "G C H 7 K 3 M Q 9 P X",  # read out one character at a time
    ],
)
def test_normalise_accepts_what_people_type(typed):
    assert normalise_reference(typed) == KNOWN_VALID


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "GCH",
        "GCH-7K3M-Q9P",  # too short
        "GCH-7K3M-Q9PXX",  # too long
        "GCH-7K3M-Q9PA",  # wrong check character
        "GCH-K73M-Q9PX",  # two characters swapped
        "GCH-7K3M-Q0PX",  # 0 is never printed
        "GCH-7K3M-O9PX",  # nor O
        "GCH-7K3M-Q9PL",  # nor L
        "ABC-7K3M-Q9PX",  # another prefix
        "dossier 7K3M-Q9PX",
    ],
)
def test_normalise_rejects_what_is_not_a_reference(typed):
    assert normalise_reference(typed) is None
