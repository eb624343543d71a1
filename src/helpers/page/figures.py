"""An analyst's own figure, published with the guarantees every measure has.

``page.figure(fig, caption=..., data=table)`` turns a seaborn or matplotlib figure made in a page
notebook into a part of the page: the image with alt text (given, or written from the data), a
caption with the source and the data-through date, a collapsible data table and a CSV download.
The data goes through the privacy gate first: a count of people (or of events involving people)
between 1 and the floor is refused, with the row and column named, before anything is shown.

The figure's data must come from a measure the page declares (``page.table``), which says where
the numbers come from, how current they are and whether they count people.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..core.language import ENGLISH, Language, pending_plain
from ..measures.gate import PrivacyError
from .chart_style import encode
from .data import PageData
from .fragments import Fragment, Html, esc
from .parts import details_table, download_link, source_line

if TYPE_CHECKING:
    from matplotlib.figure import Figure


INTERNAL_COLUMNS = {"atoms", "privacy_counts", "min_group"}
MAX_ALT_ROWS = 24
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class FigureError(ValueError):
    """``page.figure`` was called in a way that cannot be published; the message says the fix."""


def _slug(text: str) -> str:
    """A short file name from a caption: its first words, cut at a word boundary."""
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > 40:
            break
        out = f"{out}-{word}" if out else word
    return out or "figure"


def _decimals(values: pd.Series, decimals: int) -> int:
    """Whole numbers stay whole; a column with any fraction shows ``decimals`` places throughout."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return 0 if numbers.empty or (numbers == numbers.round()).all() else decimals


def _column_texts(data: pd.DataFrame, decimals: int, lang: Language) -> dict[str, list[str]]:
    """Each column as residents read it: thousands separators, one number of decimals per column;
    an empty cell is "" (a number that could not be given says so in words)."""
    out = {}
    for column in data.columns:
        values = data[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            places = _decimals(values, decimals)
            out[str(column)] = [
                NOT_AVAILABLE if pd.isna(v) else lang.number(float(v), places) for v in values
            ]
        else:
            out[str(column)] = ["" if pd.isna(v) else str(v) for v in values]
    return out


def _count_columns(data: pd.DataFrame, rates: Sequence[str]) -> list[str]:
    unknown = [c for c in rates if c not in data.columns]
    if unknown:
        raise FigureError(
            f"page.figure: rates names {', '.join(map(repr, unknown))}, which the data does not have "
            f"(its columns: {', '.join(map(str, data.columns))})."
        )
    return [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and c not in set(rates)]


def check_privacy(data: pd.DataFrame, floor: int, rates: Sequence[str] = ()) -> None:
    """Counts of people must be 0 or at least ``floor``; the first offending cell is named."""
    for column in _count_columns(data, rates):
        values = pd.to_numeric(data[column], errors="coerce")
        small = values[(values > 0) & (values < floor)]
        if len(small):
            label = small.index[0]
            raise PrivacyError(
                f"page.figure: the data has {small.iloc[0]:g} in row {label!r}, column {column!r}. "
                f"Counts of people or of events involving people must be 0 or at least {floor} "
                "before they are published. Build the figure from the gated table "
                "(page.table(...), where small counts are already hidden) or group the data more "
                f"coarsely. If {column!r} is a rate, average or percentage built from published "
                f"counts, name it in rates=[{column!r}]."
            )


NOT_AVAILABLE = "\x00not available"  # replaced by the words of the page's language


def _shown(texts: dict[str, list[str]], lang: Language) -> dict[str, list[str]]:
    words = lang._("not available")
    return {name: [words if v == NOT_AVAILABLE else v for v in values] for name, values in texts.items()}


def alt_from_data(caption: str, data: pd.DataFrame, decimals: int, lang: Language) -> str:
    """A plain description of what the figure shows, from its own table: the columns once, then
    each row's values."""
    labelled = data if isinstance(data.index, pd.RangeIndex) else data.reset_index()
    texts = _shown(_column_texts(labelled.head(MAX_ALT_ROWS), decimals, lang), lang)
    names = list(texts)
    rows = [", ".join(texts[n][i] for n in names) for i in range(len(labelled.head(MAX_ALT_ROWS)))]
    text = lang._(
        "Chart: {caption}. Data ({columns}): {rows}.",
        caption=caption,
        columns="; ".join(names),
        rows="; ".join(rows),
    )
    if len(data) > MAX_ALT_ROWS:
        more = len(data) - MAX_ALT_ROWS
        text += " " + lang.n_("({n} more row in the data table.)", "({n} more rows in the data table.)", more)
    return text


def _csv(data: pd.DataFrame, decimals: int, through: str, source: str, sample: bool, lang: Language) -> str:
    """The figure's data as a CSV: its columns (named as the analyst named them), numbers as plain
    digits in every edition, then the source, the data-through date and the sample flag."""
    table = data if isinstance(data.index, pd.RangeIndex) else data.reset_index()
    texts = _column_texts(table, decimals, ENGLISH)  # plain digits once the commas go
    out = pd.DataFrame(
        {name: [v.replace(",", "") if _is_number(v) else v for v in values] for name, values in texts.items()}
    )
    out = out.replace(NOT_AVAILABLE, "")
    out[lang._("data_through")] = through
    out[lang._("source")] = source
    if sample:
        out[lang._("sample_data")] = lang._("yes: synthetic sample data, not City records")
    # a text still waiting for its translation says so, in words (a CSV has no markup)
    out.columns = [pending_plain(str(c)) for c in out.columns]
    out = out.map(lambda v: pending_plain(v) if isinstance(v, str) else v)
    return out.to_csv(index=False, lineterminator="\n")


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,]+(\.\d+)?", text))


def _close(fig: Figure) -> None:
    """Stop the inline backend from showing the figure a second time at the end of the cell."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def publish_figure(
    page: PageData,
    fig: Figure,
    *,
    caption: str,
    alt: str | None,
    data: pd.DataFrame | None,
    measure: str | None,
    name: str | None,
    rates: Sequence[str],
) -> Fragment:
    """The figure as a page part: image, caption with source and date, table, CSV download."""
    measure_id = _checked(page, caption, alt, data, measure, rates)
    spec = page.measure(measure_id)
    t = page.lang
    decimals = max(1, spec.value_decimals)
    alt_text = alt.strip() if alt and alt.strip() else alt_from_data(caption, data, decimals, t)  # type: ignore[arg-type]
    image = encode(fig, alt_text)
    _close(fig)
    info = page.measure_status(measure_id)
    source = page.settings.sources.sources[spec.source]
    parts = [
        f'<figure class="measure-figure">{image.img_tag()}<figcaption>{esc(caption)}. '
        f"{source_line(source.title, source.publisher, info.data_through, t)}</figcaption></figure>"
    ]
    downloads = {}
    if data is not None:
        file_name = name or _slug(caption)
        if not _NAME.match(file_name):
            raise FigureError(
                f"page.figure: name={file_name!r} cannot be a file name; use lower-case letters, "
                "digits and hyphens."
            )
        csv_name = f"{page.site_page.output.replace('/', '-')}-{file_name}.csv"
        labelled = data if isinstance(data.index, pd.RangeIndex) else data.reset_index()
        texts = _shown(_column_texts(labelled, decimals, t), t)
        body = [[texts[name][i] for name in texts] for i in range(len(labelled))]
        parts.append(details_table(caption, caption, list(texts), body, t))
        parts.append(download_link(f"{page.site_page.root}data/{csv_name}", caption, t))
        downloads[csv_name] = _csv(data, decimals, info.data_through, source.title, page.sample, t)
    return Fragment([Html("\n".join(parts))], downloads)


def _checked(
    page: PageData,
    caption: str,
    alt: str | None,
    data: pd.DataFrame | None,
    measure: str | None,
    rates: Sequence[str],
) -> str:
    """The measure the figure's numbers come from, once every rule for publishing it holds."""
    measure_id = measure or (data.attrs.get("measure") if data is not None else None)
    if not measure_id:
        raise FigureError(
            "page.figure needs to know which measure its numbers come from, for the source line, "
            "the data-through date and the privacy rules. Pass measure='...' (this page may use: "
            f"{', '.join(page.allowed) or 'no measures'})."
        )
    page.table(measure_id)  # the page must declare it
    if not caption or not caption.strip():
        raise FigureError("page.figure needs a caption: one plain sentence saying what the figure shows.")
    if data is None and not (alt and alt.strip()):
        raise FigureError(
            "page.figure needs alt text for readers who cannot see the image: pass alt='...', or "
            "pass data=... (the table behind the figure) and the alt text is written from it."
        )
    if data is not None:
        internal = INTERNAL_COLUMNS & set(map(str, data.columns))
        if internal:
            raise FigureError(
                "page.figure publishes the data you pass as a table and a CSV, so pass the table "
                f"residents should read (for example a pivot), not the raw gated rows (it has "
                f"{', '.join(sorted(internal))})."
            )
        if page.measure(measure_id).counts_people:
            check_privacy(data, page.settings.privacy.floor, [*rates, *data.attrs.get("rates", [])])
    return str(measure_id)
