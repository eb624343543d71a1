"""Icons drawn inline as SVG, so that they render everywhere (a font's glyph such as the pause
sign U+23F8 shows as an empty box in Chromium on Debian) and never carry meaning by colour alone:
each has a shape or letter of its own, a ``<title>`` for a pointer's tooltip, and visible words
beside it, which is what a screen reader reads (the drawing itself is hidden from it).

The process icons follow NHS England's *Making Data Count*: a circle in the variation's colour
with H or L (a high or low special cause), a flat line for common-cause variation; the assurance
icons carry P (the target will be met), F (it will not) or ? (hit and miss).
"""

from __future__ import annotations

from .fragments import esc

GREY, BLUE, ORANGE, PURPLE = "#7a7a7a", "#0086b8", "#c45a06", "#490092"  # MDC hues, darkened to 3:1
STATUS_SHAPES = {
    "half-circle": '<circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.6"/>'
    '<path d="M8 1.5a6.5 6.5 0 0 1 0 13z" fill="currentColor"/>',
    "pause": '<rect x="3.5" y="2.5" width="3" height="11" rx="0.8" fill="currentColor"/>'
    '<rect x="9.5" y="2.5" width="3" height="11" rx="0.8" fill="currentColor"/>',
    "check": '<path d="M2.5 8.5l3.5 3.5 7.5-8" fill="none" stroke="currentColor" stroke-width="2.2" '
    'stroke-linecap="round" stroke-linejoin="round"/>',
}


def svg(body: str, title: str, css: str, size: int = 16) -> str:
    """An inline SVG icon with its title, hidden from screen readers (the words beside it say
    the same)."""
    return (
        f'<svg class="icon {esc(css)}" width="{size}" height="{size}" viewBox="0 0 16 16" '
        f'aria-hidden="true" focusable="false"><title>{esc(title)}</title>{body}</svg>'
    )


def status_icon(shape: str, title: str) -> str:
    return svg(STATUS_SHAPES[shape], title, f"status-icon status-icon-{shape}")


def _letter(colour: str, letter: str) -> str:
    return (
        f'<circle cx="8" cy="8" r="7" fill="{colour}"/>'
        f'<text x="8" y="11.6" text-anchor="middle" font-size="10" font-weight="700" '
        f'font-family="DejaVu Sans, Arial, sans-serif" fill="#ffffff">{esc(letter)}</text>'
    )


def variation_icon(point_type: str | None, letter: str, title: str) -> str:
    """The variation of a measure's latest period: grey with a flat line for the usual ups and
    downs; otherwise its colour with a letter (in English H, higher than usual, or L, lower)."""
    if point_type is None:
        body = (
            f'<circle cx="8" cy="8" r="6.3" fill="none" stroke="{GREY}" stroke-width="1.4"/>'
            f'<path d="M5 8h6" stroke="{GREY}" stroke-width="1.6"/>'
        )
        return svg(body, title, "process-icon not-judged")
    if point_type == "common_cause":
        body = (
            f'<circle cx="8" cy="8" r="7" fill="{GREY}"/>'
            '<path d="M3.5 8.5c1.2-2.2 2.4-2.2 3.5 0s2.3 2.2 3.5 0 2.2-2.2 2.5-0.8" fill="none" '
            'stroke="#ffffff" stroke-width="1.5" stroke-linecap="round"/>'
        )
        return svg(body, title, "process-icon common-cause")
    colour = {
        "special_cause_improvement": BLUE,
        "special_cause_concern": ORANGE,
    }.get(point_type, PURPLE)
    return svg(_letter(colour, letter), title, f"process-icon {point_type.replace('_', '-')}")


def assurance_icon(assurance: str, letter: str, title: str) -> str:
    """Will the target be met: blue (in English P, pass), orange (F, fail) or grey (?)."""
    colour = {"consistent_pass": BLUE, "consistent_fail": ORANGE, "inconsistent": GREY}[assurance]
    return svg(_letter(colour, letter), title, f"assurance-icon {assurance.replace('_', '-')}")
