"""The eight-period trend chart as a small PNG, drawn here with zlib: no imaging library needed."""

from __future__ import annotations

import struct
import zlib

WHITE, GRID, BAR = (255, 255, 255), (226, 229, 236), (200, 214, 240)
RATING, POSITIVE = (0, 0, 145), (24, 128, 56)  # dark blue and green, distinct for most colour visions


class Canvas:
    def __init__(self, width: int, height: int, background=WHITE):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(background) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, colour) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.width, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.height, max(y0, y1))
        row = bytes(colour) * (x1 - x0)
        for y in range(y0, y1):
            start = (y * self.width + x0) * 3
            self.pixels[start:start + len(row)] = row

    def dot(self, cx: float, cy: float, radius: float, colour) -> None:
        r = int(radius) + 1
        for y in range(int(cy) - r, int(cy) + r + 1):
            for x in range(int(cx) - r, int(cx) + r + 1):
                if 0 <= x < self.width and 0 <= y < self.height and (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2:
                    i = (y * self.width + x) * 3
                    self.pixels[i:i + 3] = bytes(colour)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float, colour) -> None:
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for s in range(steps + 1):
            t = s / steps
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, width / 2, colour)

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(self.pixels[y * self.width * 3:(y + 1) * self.width * 3]) for y in range(self.height))

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def trend_chart(counts: list[int], ratings: list[float | None], positives: list[float | None],
                width: int = 1120, height: int = 320) -> bytes:
    """Bars: volume per period. Blue line: mean rating (1 to 5). Green line: share of positive comments.

    Drawn at twice the displayed size so it stays sharp on high-density screens.
    """
    canvas = Canvas(width, height)
    pad, n = 24, max(1, len(counts))
    top, bottom = pad, height - pad
    for k in range(5):  # grid lines at rating 1..5 and 0..100 %
        y = bottom - (bottom - top) * k / 4
        canvas.rect(pad, int(y), width - pad, int(y) + 2, GRID)
    slot = (width - 2 * pad) / n
    peak = max(counts) if counts and max(counts) else 1
    centres = [pad + slot * (i + 0.5) for i in range(n)]
    for i, count in enumerate(counts):
        h = (bottom - top) * count / peak
        colour = (150, 176, 228) if i == n - 1 else BAR  # this period stands out
        canvas.rect(int(centres[i] - slot * 0.3), int(bottom - h), int(centres[i] + slot * 0.3), bottom, colour)

    def series(values: list[float | None], low: float, high: float, colour) -> None:
        points = [(centres[i], bottom - (bottom - top) * (v - low) / (high - low)) for i, v in enumerate(values) if v is not None]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            canvas.line(x0, y0, x1, y1, 6, colour)
        for x, y in points:
            canvas.dot(x, y, 9, colour)

    series(ratings, 1.0, 5.0, RATING)
    series(positives, 0.0, 1.0, POSITIVE)
    return canvas.png()
