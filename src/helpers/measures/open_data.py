"""The machine-readable CSV of each measure (``measures/<id>.csv`` on the site): tidy, one row
per period and series, with the same field names in every edition so that a script written
against one quarter reads the next; coverage, suppression and process-limit columns included.

``FIELDS`` is the one description of those columns: the data package's Table Schema and each
measure's metadata file are written from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

from ..core.language import ENGLISH, N_, Language, pending_plain
from ..data.coverage import note_words
from ..params.measure import Measure
from ..params.privacy import PrivacyRules


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema type: string, number, integer, boolean, date
    description: str  # English; each edition translates it (interface.po)


FIELDS = (
    Field("measure_id", "string", N_("The measure's permanent id.")),
    Field("period", "string", N_("The period's code: YYYY-MM for a month, FYyyyyQn for a quarter, a year.")),
    Field("period_start", "date", N_("First day of the period.")),
    Field("period_end", "date", N_("Last day of the period.")),
    Field("period_label", "string", N_("The period as the report writes it.")),
    Field("series", "string", N_("Which series of the measure the row belongs to.")),
    Field("value", "number", N_("The measure's value; empty where it is hidden or was not measured.")),
    Field("unit", "string", N_("What the value counts or measures.")),
    Field("numerator", "number", N_("For a rate or share: the count it is built from; else empty.")),
    Field("denominator", "number", N_("For a rate or share: what the count is divided by; else empty.")),
    Field(
        "coverage",
        "string",
        N_("complete, partial (the source has gaps in the period), missing or not_available."),
    ),
    Field(
        "coverage_share", "number", N_("Share of the period's days (or months) the source covers, 0 to 1.")
    ),
    Field("suppressed", "boolean", N_("true where the value is hidden to protect privacy.")),
    Field(
        "suppression",
        "string",
        N_(
            "primary: hidden because it counts fewer people than the privacy floor; secondary: hidden "
            "so that a smaller number elsewhere cannot be worked out; else empty."
        ),
    ),
    Field(
        "unstable", "boolean", N_("true where the value rests on few people or events: interpret with care.")
    ),
    Field("note", "string", N_("Why a value is hidden or incomplete, in words.")),
    Field(
        "process_chart",
        "string",
        N_("The process chart judging the row (xmr, p_prime, u_prime); empty if none."),
    ),
    Field("segment", "integer", N_("Which stretch of the process limits the row is in, from 1.")),
    Field("process_mean", "number", N_("The average of the row's stretch of the process chart.")),
    Field("lower_process_limit", "number", N_("The lower process limit: below it is unusual.")),
    Field("upper_process_limit", "number", N_("The upper process limit: above it is unusual.")),
    Field("trial_limits", "boolean", N_("true while the limits rest on fewer than 13 points.")),
    Field(
        "rules",
        "string",
        N_("Making Data Count rules the point meets: astronomical, shift, trend, two_in_three."),
    ),
    Field(
        "point_type",
        "string",
        N_("The point's verdict: common_cause, or the special cause and its direction."),
    ),
    Field("data_through", "date", N_("The last day the source's data covers.")),
    Field("sample_data", "boolean", N_("true when built from synthetic sample data, not City records.")),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
PROCESS_FIELDS = FIELD_NAMES[FIELD_NAMES.index("process_chart") : FIELD_NAMES.index("point_type") + 1]
MISSING_VALUES = ("",)


def full_number(value: object) -> str:
    """A number in full, plain digits (a process limit is recomputed by readers from the
    published values); empty for a gap."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format(float(value), ".12g")  # type: ignore[arg-type]


def _flag(value: object) -> str:
    return "true" if bool(value) else "false"


def row_note(row: Any, rules: PrivacyRules, t: Language, coverage: bool = False) -> str:
    """A gated row's note in words: why it is hidden, (with ``coverage``) why its data is
    incomplete, or that it rests on few people. ``row`` is a row of ``DataFrame.itertuples``."""
    if row.suppression == "secondary":
        return t._("hidden so that a smaller number elsewhere cannot be worked out")
    if row.suppressed:
        return t._("hidden to protect privacy: {text}", text=t._("fewer than {floor}", floor=rules.floor))
    if coverage and row.status != "complete" and row.status_note:
        return note_words(row.status_note, t)
    if row.unstable:
        return t._(
            "based on {floor} to {high} people or events: interpret with care",
            floor=rules.floor,
            high=rules.unstable_at_or_below,
        )
    return ""


class _NoteRow(NamedTuple):
    suppression: Any
    suppressed: Any
    status: Any
    status_note: Any
    unstable: Any


def row_notes(rows: pd.DataFrame, rules: PrivacyRules, t: Language, coverage: bool = False) -> list[str]:
    """``row_note`` of every row, reading only the columns a note rests on (a row of every
    column costs several times more, and a quarter writes tens of thousands)."""
    values = zip(*(rows[name].tolist() for name in _NoteRow._fields))
    return [row_note(_NoteRow(*row), rules, t, coverage) for row in values]


def process_columns(rows: pd.DataFrame, lang: Language) -> dict[str, list[str]]:
    """The process columns of a published CSV, named in ``lang`` (empty where a row is not
    charted); the chart, rule and point-type values are codes, the same in every edition."""
    t = lang
    if "process_chart" not in rows:
        return {}
    charts, points = rows["process_chart"].tolist(), rows["point_type"].tolist()  # plain values
    drawn = [isinstance(c, str) and c != "" for c in charts]
    judged = [d and isinstance(p, str) and p != "" for d, p in zip(drawn, points, strict=True)]

    def shown(column: str, show: Callable[[Any], str], when: list[bool]) -> list[str]:
        return [show(v) if d else "" for v, d in zip(rows[column].tolist(), when, strict=True)]

    return {
        t._("process_chart"): [c if d else "" for c, d in zip(charts, drawn, strict=True)],
        t._("segment"): shown("segment", lambda s: str(int(s) + 1), drawn),
        t._("process_mean"): shown("process_mean", full_number, drawn),
        t._("lower_process_limit"): shown("lower_process_limit", full_number, drawn),
        t._("upper_process_limit"): shown("upper_process_limit", full_number, drawn),
        t._("trial_limits"): shown("trial_limits", _flag, drawn),
        t._("rules"): shown("rules", lambda r: r, judged),
        t._("point_type"): [p if j else "" for p, j in zip(points, judged, strict=True)],
    }


def plain_texts(values: Any) -> Any:
    """``pending_plain`` of a column's texts (one text, or a sequence), before it is framed: a
    text still waiting for its translation says so, in words."""
    if isinstance(values, str):
        return pending_plain(values)
    return [pending_plain(v) if isinstance(v, str) else v for v in values]


def open_table(
    measure: Measure, rows: pd.DataFrame, rules: PrivacyRules, data_through: str, sample: bool, lang: Language
) -> pd.DataFrame:
    """A measure's gated rows as its open CSV, in ``lang`` (labels and notes; the codes and field
    names are the same in every edition)."""
    process = process_columns(rows, ENGLISH) or dict.fromkeys(PROCESS_FIELDS, "")
    columns = {
        "measure_id": measure.id,
        "period": rows["period"].to_numpy(),
        "period_start": [str(v) for v in rows["period_start"]],
        "period_end": [str(v) for v in rows["period_end"]],
        "period_label": rows["period_label"].to_numpy(),
        "series": rows["series"].to_numpy(),
        "value": [full_number(v) for v in rows["value"]],
        "unit": measure.value_label,
        "numerator": [full_number(v) if measure.numerator_label else "" for v in rows["numerator"]],
        "denominator": [full_number(v) if measure.denominator_label else "" for v in rows["denominator"]],
        "coverage": rows["status"].to_numpy(),
        "coverage_share": [full_number(v) for v in rows["coverage_share"]],
        "suppressed": [_flag(v) for v in rows["suppressed"]],
        "suppression": [s if isinstance(s, str) else "" for s in rows["suppression"]],
        "unstable": [_flag(v) for v in rows["unstable"]],
        "note": row_notes(rows, rules, lang, coverage=True),
        **process,
        "data_through": data_through,
        "sample_data": _flag(sample),
    }
    if not lang.is_source:  # labels and notes in another edition
        for name in ("period_label", "series", "unit", "note"):
            columns[name] = plain_texts(columns[name])
    # text, written as it is: no Arrow arrays to build and read back
    out = pd.DataFrame(columns, columns=list(FIELD_NAMES), dtype=object)
    return out
