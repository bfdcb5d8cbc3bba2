"""Small-count protection, in one place: which public counts are shown, hidden as few, or masked.

A count below PORTAL_PUBLIC_MIN_COUNT is never shown ("fewer than 5"). Published figures that add
up (a total and its parts: a service's total and its channels, a week and its channels, a period
and its weeks) are given as lines, and a hidden part that the others and their total would reveal
by subtraction is protected too: a second part is masked (the smallest one shown), or the total
when there is no other part; a hidden total whose parts are all shown gets one of them masked. The
rules are applied until nothing changes, so overlapping lines (rows, columns, nested periods) are
protected together. Rates and medians are shown only on enough answers (`rate_shown`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable

from portal.feedback.redact import redact
from portal.feedback.reference import PATTERN as REFERENCE

# What stands for a tracking reference in public text, like the redaction's own placeholders ("[téléphone]").
REFERENCE_MASK = "[référence]"

FEW = "few"  # below the threshold: shown as "fewer than N"
MASKED = "masked"  # at or above it, but hidden so that a small count cannot be derived


@dataclass(frozen=True)
class Shown:
    """A count as the public sees it: the number, or why it is hidden."""

    n: int | None
    hidden: str | None = None  # None, FEW or MASKED

    @property
    def shown(self) -> bool:
        return self.hidden is None


@dataclass(frozen=True)
class Line:
    """A published total and the published parts that add up to it."""

    total: Hashable
    parts: tuple[Hashable, ...]


def protect(counts: dict[Hashable, int], lines: list[Line], min_count: int) -> dict[Hashable, Shown]:
    """Every count as it may be published, given the lines of figures that add up."""
    hidden: dict[Hashable, str] = {key: FEW for key, n in counts.items() if n < min_count}
    changed = True
    while changed:
        changed = False
        for line in lines:
            parts = [p for p in line.parts if p in counts]
            hidden_parts = [p for p in parts if p in hidden]
            shown_parts = sorted((p for p in parts if p not in hidden), key=lambda p: (counts[p], repr(p)))
            if line.total not in hidden and len(hidden_parts) == 1:
                # total - (the others) would give the hidden part: mask the smallest other part, or the total.
                if shown_parts:
                    hidden[shown_parts[0]] = MASKED
                else:
                    hidden[line.total] = MASKED
                changed = True
            elif line.total in hidden and parts and not hidden_parts:
                # The sum of the parts would give the hidden total.
                hidden[shown_parts[0]] = MASKED
                changed = True
    return {key: Shown(None if key in hidden else n, hidden.get(key)) for key, n in counts.items()}


def shown_count(n: int, min_count: int) -> Shown:
    """A count published alone (nothing adds up to it): hidden when few."""
    return Shown(n) if n >= min_count else Shown(None, FEW)


def rate_shown(answers: int, min_count: int) -> bool:
    """Whether a rate, mean or median over this many answers may be published."""
    return answers >= min_count


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) of a proportion: (low, high), each in 0..1."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def public_text(text: str | None) -> str:
    """Text as the public may read it (pages, open data, Open311): redacted once more, any tracking
    reference masked (staff wrote it or a moderator redacted it, but a reference is a secret)."""
    return REFERENCE.sub(REFERENCE_MASK, redact(text or "").text)
