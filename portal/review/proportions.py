"""Shares with their uncertainty: the Wilson score interval, and whether groups are large enough to compare."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959964  # the normal quantile of a two-sided 95 % interval


@dataclass(frozen=True)
class Share:
    """`part` of `whole`, with its 95 % Wilson interval (None, None without any answer)."""

    part: int
    whole: int
    low: float | None
    high: float | None

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None


def wilson(part: int, whole: int, z: float = Z_95) -> tuple[float, float] | tuple[None, None]:
    """The Wilson score interval of the share part/whole: it stays inside 0..1 and is honest for small counts."""
    if whole <= 0:
        return None, None
    p = part / whole
    z2 = z * z
    centre = (p + z2 / (2 * whole)) / (1 + z2 / whole)
    half = z * math.sqrt(p * (1 - p) / whole + z2 / (4 * whole * whole)) / (1 + z2 / whole)
    return max(0.0, centre - half), min(1.0, centre + half)


def share(part: int, whole: int) -> Share:
    low, high = wilson(part, whole)
    return Share(part, whole, low, high)
