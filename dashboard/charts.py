"""Bar charts drawn on the server as SVG, inside the page.

Why not a JavaScript chart library (e.g. Chart.js vendored as a static file): the pages must work on a cheap phone
without JavaScript, and a chart here is a few bars that must match the table next to it. SVG drawn from the same
rows needs no script, no extra download, prints and screenshots as it looks, and each bar is a link to the cases
or rows behind it, like the numbers in the tables."""

from __future__ import annotations

from dataclasses import dataclass

ROW = 22  # px per bar
LABEL = 120  # px for the labels on the left
PLOT = 170  # px for the longest bar
WIDTH = LABEL + PLOT + 60  # and room for the value after it


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown ("87%", "12")
    href: str | None = None

    def length(self, maximum: float) -> float:
        return 0.0 if maximum <= 0 else max(0.0, min(1.0, self.value / maximum)) * PLOT


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    maximum: float

    @property
    def height(self) -> int:
        return ROW * len(self.bars) + 4

    @property
    def geometry(self) -> dict[str, int]:
        return {"row": ROW, "label": LABEL, "plot": PLOT, "width": WIDTH}


def bar_chart(title: str, bars: list[Bar], maximum: float | None = None) -> BarChart:
    """`maximum` fixes the scale (1.0 for rates); by default the longest bar fills the plot."""
    top = maximum if maximum is not None else max((b.value for b in bars), default=0.0)
    return BarChart(title, tuple(bars), top)
