"""Geometry of the dashboard's line chart (share of positive per week, its interval as a band), drawn as SVG by the page."""

from __future__ import annotations

WIDTH, HEIGHT = 360, 180  # the viewBox; the SVG scales to its box (down to 320 px wide) without JavaScript
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 30


def _x(k: int, n: int) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * ((k + 0.5) / n)


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value)


def share_chart(trend: list[dict]) -> dict:
    """Segments of consecutive weeks with answers: the line through their shares and the band between their bounds.

    A week without a labelled answer breaks the line rather than drawing it to zero.
    """
    n = max(1, len(trend))
    segments, current = [], []
    for k, week in enumerate(trend):
        s = week["share"]
        if s.whole:
            current.append((round(_x(k, n), 1), round(_y(s.value), 1), round(_y(s.low), 1), round(_y(s.high), 1)))
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    drawn = []
    for points in segments:
        line = " ".join(f"{x},{y}" for x, y, _, _ in points)
        if len(points) == 1:  # a lone week: its interval as a bar around the dot
            x, _, low, high = points[0]
            band = f"{x - 3},{high} {x + 3},{high} {x + 3},{low} {x - 3},{low}"
        else:
            band = " ".join(f"{x},{high}" for x, _, _, high in points) + " " + " ".join(
                f"{x},{low}" for x, _, low, _ in reversed(points))
        drawn.append({"line": line, "band": band, "dots": [(x, y) for x, y, _, _ in points]})
    step = max(1, n // 4)  # about four dates under the axis, the last week always named
    ticks = [{"x": round(_x(k, n), 1), "day": trend[k]["first"]} for k in range(len(trend))
             if (len(trend) - 1 - k) % step == 0]
    grid = [{"y": round(_y(v / 100), 1), "label": v} for v in (0, 25, 50, 75, 100)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "bottom": HEIGHT - BOTTOM,
            "segments": drawn, "ticks": ticks, "grid": grid}
