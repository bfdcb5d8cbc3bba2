"""Redaction of personal data (e-mail, phone, NIR, IBAN, card) from feedback shown to the public."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Literal

RedactedKind = Literal["email", "phone", "nir", "iban", "card"]

PLACEHOLDERS: dict[str, str] = {
    "email": "[e-mail]",
    "phone": "[téléphone]",
    "nir": "[n° de sécurité sociale]",
    "iban": "[IBAN]",
    "card": "[carte bancaire]",
}


@dataclass(frozen=True)
class RedactionResult:
    text: str
    # One entry per redacted item, in text order (items only exposed by a first redaction,
    # such as two numbers typed without a space between them, come last).
    found: list[str] = field(default_factory=list)


# Every pattern below is built so that each repetition consumes a fixed, distinguishable
# piece (one digit, one label, one group) and starts only at a boundary (lookbehind). That
# keeps Python's backtracking engine linear: no nested quantifier can split the same
# characters in more than one way, and no match is longer than a few dozen characters
# except an e-mail local part, which can only start at the beginning of a word.

_EMAIL = re.compile(
    r"(?<![\w.%+\-])"
    r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+"
)

_TOP_LEVEL_DOMAINS = (
    "com|fr|net|org|eu|info|io|be|ch|ca|uk|de|es|it|lu|re|gp|mq|nc|pf|yt|gf|pm|wf|edu|gov|biz|me|co"
)
_SPELLED_AT = r"(?:\s*[\[({]\s*(?:at|arobase|@)\s*[\])}]\s*|\s+(?:at|arobase)\s+)"
# Only spelled-out dots in the local part: a literal "." is already part of the name, and
# allowing both would let the engine split "a.b.c" many ways.
_SPELLED_WORD_DOT = r"(?:\s*[\[({]\s*(?:dot|point)\s*[\])}]\s*|\s+(?:dot|point)\s+)"
_SPELLED_DOT = r"(?:" + _SPELLED_WORD_DOT + r"|\.)"
# "jean at gmail dot com", "marie [arobase] orange [point] fr". The domain must end with a
# known top-level domain so that ordinary sentences ("look at this point") are left alone.
_SPELLED_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+(?:" + _SPELLED_WORD_DOT + r"[\w.+\-]+){0,2}" + _SPELLED_AT
    + r"[\w\-]+(?:" + _SPELLED_DOT + r"[\w\-]+){0,3}?"
    + _SPELLED_DOT + r"(?:" + _TOP_LEVEL_DOMAINS + r")(?![\w\-])",
    re.IGNORECASE,
)

_IBAN = re.compile(
    r"(?<![A-Za-z0-9])(?P<country>[A-Za-z]{2}) ?(?P<check>\d{2})(?P<rest>(?:[ \-]?[A-Za-z0-9]){10,30})"
)

# Lengths by country (ISO 13616 registry); a candidate is cut to its country's length, so
# words typed right after an IBAN are not swallowed.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26,
    "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

_SEP = r"[ .\-]?"
_NIR = re.compile(
    r"(?<![\w])"
    r"(?P<sex>[1-478])(?P<s1>[ .\-]?)(?P<year>\d{2})(?P<s2>[ .\-]?)(?P<month>\d{2})"
    r"(?P<s3>[ .\-]?)(?P<department>\d{2}|2[ABab])(?P<s4>[ .\-]?)(?P<commune>\d{3})"
    r"(?P<s5>[ .\-]?)(?P<order>\d{3})"
    r"(?:(?P<s6>[ .\-]?)(?P<key>\d{2})(?!\w)|(?![ .\-]?\d)(?!\w))"
)

# Groups of four with one consistent separator (4-4-4-1..4, optionally a fifth group for
# 17-19 digit cards), American Express/Diners layouts, or one unbroken run. A candidate
# must not continue a longer digit sequence (an IBAN body, a SIRET, an amount).
_CARD = re.compile(
    r"(?<!\d)(?<!\d[ \-])"
    r"(?:"
    r"[2-6]\d{3}(?P<sep>[ \-])\d{4}(?P=sep)\d{4}(?P=sep)\d{1,4}(?:(?P=sep)\d{1,3})?"
    r"|[2-6]\d{3}(?P<amex_sep>[ \-])\d{6}(?P=amex_sep)\d{4,5}"
    r"|[2-6]\d{12,18}"
    r")(?!\d)"
)

# A "+" starts a number even right after a digit ("78+33 6..."), but not inside a word.
_PLUS_START = r"(?<![^\W\d])(?<!\+)\+"
# A leading 0 must not continue a longer number or a date ("2023-0612...", "12/06...").
_NATIONAL_START = r"(?<![\w])(?<!\d[ .\-/,])"
# French numbers: 0X XX XX XX XX in any common spelling, and +33 / 0033 with or without the
# "(0)" trunk prefix people copy from business cards.
_FRENCH_PHONE = re.compile(
    r"(?:(?:" + _PLUS_START + r"|" + _NATIONAL_START + r"00) ?33" + _SEP
    + r"(?:\(0\)" + _SEP + r"|0)?|" + _NATIONAL_START + r"0)"
    r"[1-9](?:" + _SEP + r"\d{2}){4}(?!\d)"
)
# Any other number written with an international prefix; the digit count is checked after.
_INTERNATIONAL_PHONE = re.compile(
    r"(?:" + _PLUS_START + r"|" + _NATIONAL_START + r"00) ?[1-9](?:" + _SEP
    + r"(?:\(\d{1,4}\)|\d)){5,17}(?!\d)"
)
# North American numbers written without a prefix: (415) 555-2671, 415-555-2671.
_NORTH_AMERICAN_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[ .\-/,])"
    r"(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}(?!\d)(?![.\-/]\d)"
)

_DIGIT = re.compile(r"\d")


def _luhn_is_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _iban_is_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    # Letters count as 10..35, so "FR" becomes "1527".
    as_number = "".join(str(int(char, 36)) for char in rearranged)
    return int(as_number) % 97 == 1


def _accept_email(match: re.Match[str]) -> int | None:
    domain = match.group().rsplit("@", 1)[1]
    top_level = domain.rsplit(".", 1)[1]
    if not top_level[:1].isalpha():
        return None
    return match.end()


def _accept_iban(match: re.Match[str]) -> int | None:
    country = match.group("country").upper()
    length = _IBAN_LENGTHS.get(country)
    if length is None:
        return None
    needed = length - 4
    rest_start = match.start("rest")
    characters: list[str] = []
    end = None
    for offset, char in enumerate(match.group("rest")):
        if char.isalnum():
            characters.append(char)
            if len(characters) == needed:
                end = rest_start + offset + 1
                break
    if end is None:
        return None
    # The IBAN must end where a group ends, not in the middle of a longer code.
    if end < len(match.string) and match.string[end].isalnum():
        return None
    # Account numbers are mostly digits; this keeps "de 12 mois et plus..." from being
    # checked as a German IBAN made of words.
    if sum(char.isdigit() for char in characters) * 10 < needed * 6:
        return None
    iban = country + match.group("check") + "".join(characters).upper()
    if not _iban_is_valid(iban):
        return None
    return end


def _nir_key(match: re.Match[str]) -> int:
    department = match.group("department").upper()
    # Corsica: 2A and 2B count as 19 and 18 in the key computation.
    department = {"2A": "19", "2B": "18"}.get(department, department)
    number = int(
        match.group("sex") + match.group("year") + match.group("month") + department
        + match.group("commune") + match.group("order")
    )
    return 97 - number % 97


def _accept_nir(match: re.Match[str]) -> int | None:
    month = int(match.group("month"))
    # 01-12 are calendar months; 20-42 and 50-99 are used when the month of birth is unknown.
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return None
    if match.group("department") == "00":
        return None
    separators = sum(1 for name in ("s1", "s2", "s3", "s4", "s5") if match.group(name))
    key = match.group("key")
    key_is_valid = key is not None and int(key) == _nir_key(match)
    # An unbroken run of digits is redacted only with a valid key (it could be any number);
    # a number spaced the way NIRs are printed is redacted even without or with a mistyped key.
    if key_is_valid or separators >= 4:
        return match.end()
    return None


def _group_ends(match: re.Match[str]) -> list[int]:
    """Positions where a digit group of the match ends, last first."""
    text, ends = match.string, []
    for position in range(match.end() - 1, match.start() - 1, -1):
        if text[position].isdigit() and (position + 1 == match.end() or not text[position + 1].isdigit()):
            ends.append(position + 1)
    return ends


def _accept_card(match: re.Match[str]) -> int | None:
    text = match.string
    for end in _group_ends(match):
        digits = "".join(_DIGIT.findall(text, match.start(), end))
        # An unbroken 14-digit run is a SIRET far more often than a Diners Club card.
        if len(digits) == 14 and end - match.start() == 14:
            continue
        if 13 <= len(digits) <= 19 and _luhn_is_valid(digits):
            return end
    return None


def _accept_international_phone(match: re.Match[str]) -> int | None:
    text = match.string
    for end in _group_ends(match):
        inside = text[match.start():end]
        digit_count = len(_DIGIT.findall(inside)) - inside.count("(0)")
        # E.164 numbers have at most 15 digits; fewer than 8 is a short code or an amount.
        if 8 <= digit_count <= 15:
            return end
    return None


def _accept_as_matched(match: re.Match[str]) -> int | None:
    return match.end()


_Acceptor = Callable[[re.Match[str]], "int | None"]

# Earlier detectors win where two overlap: an e-mail may contain digits, an IBAN body looks
# like a card, a NIR can pass the Luhn check.
_DETECTORS: tuple[tuple[str, re.Pattern[str], _Acceptor], ...] = (
    ("email", _EMAIL, _accept_email),
    ("email", _SPELLED_EMAIL, _accept_as_matched),
    ("iban", _IBAN, _accept_iban),
    ("nir", _NIR, _accept_nir),
    ("card", _CARD, _accept_card),
    ("phone", _FRENCH_PHONE, _accept_as_matched),
    ("phone", _INTERNATIONAL_PHONE, _accept_international_phone),
    ("phone", _NORTH_AMERICAN_PHONE, _accept_as_matched),
)


def _find_spans(text: str, pattern: re.Pattern[str], accept: _Acceptor) -> list[tuple[int, int]]:
    spans, offset, position = [], 0, 0
    while (match := pattern.search(text, position)) is not None:
        end = accept(match)
        if end is None:
            # Candidates are short, so retrying from the next character stays linear.
            position = match.start() + 1
            continue
        spans.append((offset + match.start(), offset + end))
        # Go on in the rest as its own string: what follows a redacted item starts afresh,
        # exactly as it will after the placeholder.
        offset, text, position = offset + end, text[end:], 0
    return spans


def _redact_once(text: str) -> tuple[str, list[str]]:
    kept: list[tuple[int, int, str]] = []  # sorted by start, never overlapping
    for kind, pattern, accept in _DETECTORS:
        # Each detector sees only the gaps left by stronger ones, each gap as its own string,
        # so an item right after a redacted one is judged as if the placeholder were there.
        gap_start, found_here = 0, []
        for kept_start, kept_end, _ in [*kept, (len(text), len(text), "")]:
            gap = text[gap_start:kept_start]
            found_here.extend(
                (gap_start + start, gap_start + end, kind)
                for start, end in _find_spans(gap, pattern, accept)
            )
            gap_start = kept_end
        kept = sorted(kept + found_here)
    pieces, position = [], 0
    for start, end, kind in kept:
        pieces.append(text[position:start])
        pieces.append(PLACEHOLDERS[kind])
        position = end
    pieces.append(text[position:])
    return "".join(pieces), [kind for _, _, kind in kept]


# Redacting can expose an item glued in front of a stronger one ("06 12 34 56 78FR76 3000"
# is only seen as an IBAN once the phone number is gone). Passing again until nothing is
# found keeps redact() idempotent; clean text costs one pass. The cap bounds the cost of
# pathological chains of glued items of alternating kinds.
_MAX_PASSES = 4


def redact(text: str) -> RedactionResult:
    """Replace personal data in `text` with bracketed French placeholders."""
    found: list[str] = []
    for _ in range(_MAX_PASSES):
        text, found_this_pass = _redact_once(text)
        if not found_this_pass:
            break
        found.extend(found_this_pass)
    return RedactionResult(text=text, found=found)
