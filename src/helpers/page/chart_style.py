"""The report's chart style, and how a figure becomes an image on the page.

The Okabe-Ito colour-blind-safe palette, large type that stays readable when a phone shrinks the
image to 360 px, light grid lines and nothing else; figures are drawn off screen (pyplot's
backend is never changed) and encoded as small palette PNGs.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ParamSpec

import matplotlib
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from ..core.language import PENDING_START, pending_plain
from .fragments import esc

P = ParamSpec("P")

# Okabe & Ito (2008), without yellow, which fails contrast on white.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"]
TEXT = "#222222"
MUTED = "#595959"
GRID = "#DDDDDD"
LIGHT_BAR = "#B9D3E8"
FULL_SIZE = (4.8, 3.4)  # shown at about 620 px, and at about 330 px on a phone
CARD_SIZE = (3.8, 2.5)
DPI = 130


@dataclass(frozen=True)
class Chart:
    png_base64: str
    alt: str
    width: int
    height: int

    def img_tag(self, css_class: str = "chart") -> str:
        return (
            f'<img class="{css_class}" src="data:image/png;base64,{self.png_base64}" '
            f'alt="{esc(self.alt)}" width="{self.width}" height="{self.height}" '
            'loading="lazy" decoding="async">'
        )


def use_house_style() -> None:
    """Make every figure drawn from now on in this Python process look like the report's charts.

    ``open_page`` calls it, so an analyst's own seaborn and matplotlib figures in a page notebook
    share the house style; the report's charts apply it themselves, without changing the
    matplotlib backend, so ``plt.show()`` keeps working inline in JupyterLab.
    """
    sns.set_theme(
        context="notebook",
        style="white",
        palette=PALETTE,
        font_scale=1.0,
        rc={
            "font.family": "DejaVu Sans",
            "font.size": 12.5,
            "axes.titlesize": 13,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 12,
            "axes.labelcolor": TEXT,
            "axes.edgecolor": MUTED,
            "xtick.color": TEXT,
            "ytick.color": TEXT,
            "xtick.labelsize": 11.5,
            "ytick.labelsize": 11.5,
            "legend.fontsize": 11.5,
            "legend.frameon": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "grid.color": GRID,
            "grid.linewidth": 0.8,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "durham",
            "figure.constrained_layout.use": True,
        },
    )


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """The house style for the figures drawn inside the block; global settings are restored."""
    with matplotlib.rc_context():
        use_house_style()
        yield


def styled(draw: Callable[P, Chart]) -> Callable[P, Chart]:
    """Draw (and encode) a chart in the house style, on a figure pyplot never sees."""

    @functools.wraps(draw)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Chart:
        with house_style():
            return draw(*args, **kwargs)

    return wrapper


def figure(size: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, layout="constrained", dpi=DPI)
    FigureCanvasAgg(fig)  # a renderer to measure labels with; pyplot's backend is not involved
    return fig, fig.subplots()


def encode(fig: Figure, alt: str = "") -> Chart:
    """PNG with a 64-colour palette: charts are flat colours, so this looks the same at about a
    quarter of the bytes, which keeps the goal page light on phones. The figure is drawn once,
    straight into the image (an analyst's pyplot figure is drawn the same way, off screen)."""
    fig.set_dpi(DPI)
    for text in fig.findobj(Text):  # a label still waiting for its translation says so
        if PENDING_START in text.get_text():
            text.set_text(pending_plain(text.get_text()))
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    width, height = canvas.get_width_height()
    rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    palette = rgba.convert("RGB").quantize(
        colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    compact = io.BytesIO()
    palette.save(compact, format="PNG", compress_level=9)
    return Chart(base64.b64encode(compact.getvalue()).decode("ascii"), alt, width, height)
