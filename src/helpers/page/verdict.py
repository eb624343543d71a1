"""Is the change real? A measure's sentences lead with the verdict of its process limits.

Most ups and downs from one period to the next are the usual variation of the work, not news.
So a measure's first sentence says whether the quarter's figures stayed within their usual
range or showed a real change (a rule of ``measures.spc`` fired), and from when; the figure
itself and, as context for seasonal series, the same period a year earlier come after it. A
measure the plan does not judge (``process: none``) says why; a period that is hidden,
missing or incomplete is never judged, and the sentence says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from ..core.language import N_, Language
from ..core.periods import FiscalQuarter
from ..data.coverage import note_reason
from ..measures.spc import PRECEDENCE
from ..params.measure import Measure
from .narrative import fmt_value, is_missing, period_span, period_value, without_figure

IMPROVEMENT, CONCERN = "special_cause_improvement", "special_cause_concern"


@dataclass(frozen=True)
class Judgement:
    """What the process limits say about one series in the reporting quarter."""

    judged: bool  # some period of the quarter was judged against process limits
    point_type: str | None  # of the quarter's latest judged period
    rule: str | None = None  # the rule behind a signal
    side: int = 0  # +1 high or rising, -1 low or falling
    since: date | None = None  # the first period of the signal
    length: int = 1  # how many periods in a row the rule flags, up to the latest
    grain: str = "month"
    trial: bool = False
    points: int = 0  # judged periods behind the limits of the latest segment
    lower: float = math.nan
    upper: float = math.nan
    mean: float = math.nan
    segment: int = 0  # 0 before the first declared change, 1 after it, ...
    mean_before: float = math.nan  # the average of the segment before the latest one

    @property
    def signal(self) -> bool:
        return bool(self.point_type) and self.point_type != "common_cause"


def judge(rows: pd.DataFrame, quarter: FiscalQuarter) -> Judgement:
    """The verdict of one series for ``quarter``, from its rows' process columns."""
    if "point_type" not in rows:
        return Judgement(False, None)
    rows = rows.sort_values(["period_end", "period_start"], kind="stable").reset_index(drop=True)
    grain = str(rows["grain"].iloc[0]) if len(rows) else "month"
    judged = rows[rows["point_type"].fillna("") != ""]
    inside = judged[(judged["period_end"] >= quarter.start) & (judged["period_end"] <= quarter.end)]
    if inside.empty:
        return Judgement(False, None, grain=grain)
    latest = inside.iloc[-1]
    segment = judged[judged["segment"] == latest["segment"]]
    earlier = judged[judged["segment"] == latest["segment"] - 1]
    base = {
        "segment": int(latest["segment"]),
        "mean_before": float(earlier["process_mean"].iloc[0]) if len(earlier) else math.nan,
        "grain": grain,
        "trial": bool(latest["trial_limits"]),
        "points": len(segment),
        "lower": float(latest["lower_process_limit"]),
        "upper": float(latest["upper_process_limit"]),
        "mean": float(latest["process_mean"]),
    }
    flagged = inside[inside["point_type"] != "common_cause"]
    if flagged.empty:
        return Judgement(True, str(latest["point_type"]), **base)
    row = flagged.iloc[-1]
    rules = str(row["rules"]).split(";")
    rule = next(r for r in PRECEDENCE if r in rules)
    side = _side(segment, row, rule)
    run = _run(segment, segment.index.get_loc(row.name), rule, side)
    since = segment.iloc[run[0]]["period_start"]
    return Judgement(True, str(row["point_type"]), rule, side, since, len(run), **base)


def _side(segment: pd.DataFrame, row: pd.Series, rule: str) -> int:
    """High or low (rising or falling, for a trend)."""
    if rule != "trend":
        return 1 if row["value"] > row["process_mean"] else -1
    position = segment.index.get_loc(row.name)
    run = _run(segment, position, "trend", None)
    first, last = segment.iloc[run[0]]["value"], segment.iloc[run[-1]]["value"]
    return 1 if last > first else -1


def _run(segment: pd.DataFrame, position: int, rule: str, side: int | None) -> list[int]:
    """The positions of the consecutive points flagged by ``rule`` (on ``side``) around one."""

    def flagged(i: int) -> bool:
        row = segment.iloc[i]
        if rule not in str(row["rules"]).split(";"):
            return False
        return side is None or rule == "trend" or (row["value"] > row["process_mean"]) == (side > 0)

    start = end = position
    while start > 0 and flagged(start - 1):
        start -= 1
    while end + 1 < len(segment) and flagged(end + 1):
        end += 1
    return list(range(start, end + 1))


# --------------------------------------------------------------------------------------------
# Sentences


def _when(judgement: Judgement, day: date, lang: Language) -> str:
    """A period as the sentences name it: a month, or a quarter's months."""
    if judgement.grain == "month":
        return lang.month(day)
    return lang.quarter_span(FiscalQuarter.containing(day))


SIGNALS = {
    ("outside_limits", 1): N_("{subject} rose above the usual range in {since}."),
    ("outside_limits", -1): N_("{subject} fell below the usual range in {since}."),
    ("outside_limits", 2): N_("{subject} stayed above the usual range from {since}."),
    ("outside_limits", -2): N_("{subject} stayed below the usual range from {since}."),
    ("shift", 1): N_("{subject} stayed above the usual average from {since}."),
    ("shift", -1): N_("{subject} stayed below the usual average from {since}."),
    ("trend", 1): N_("{subject} kept rising from {since}."),
    ("trend", -1): N_("{subject} kept falling from {since}."),
    ("two_of_three", 1): N_("{subject} came close to the top of the usual range in {since}."),
    ("two_of_three", -1): N_("{subject} came close to the bottom of the usual range in {since}."),
}


def verdict(judgement: Judgement, subject: str, period: str, lang: Language) -> str:
    """The lead sentence: within the usual range, or a real change and since when."""
    t = lang
    if not judgement.signal:
        return t._("{subject} stayed within the usual range in {period}.", subject=subject, period=period)
    since = _when(judgement, judgement.since, t) if judgement.since else period
    rule, side = judgement.rule or "outside_limits", judgement.side
    if rule == "outside_limits" and judgement.length > 1:
        side *= 2  # more than one period in a row: it stayed there
    words = t._(SIGNALS[(rule, side)], subject=subject, since=since)
    if judgement.point_type == IMPROVEMENT:
        return words + " " + t._("This is a real change for the better, not the usual ups and downs.")
    if judgement.point_type == CONCERN:
        return words + " " + t._("This is a real change for the worse, not the usual ups and downs.")
    return words + " " + t._("This is a real change, not the usual ups and downs.")


def reset_sentence(judgement: Judgement, measure: Measure, lang: Language) -> str:
    """Where the latest usual range starts at a declared change: the change, and the average
    before and since (the story of a change that worked, or did not)."""
    if judgement.segment < 1 or math.isnan(judgement.mean_before) or math.isnan(judgement.mean):
        return ""
    change = measure.process.changes[judgement.segment - 1]
    values = {
        "date": lang.month(change.date),
        "reason": change.reason,
        "before": fmt_value(measure, judgement.mean_before, lang),
        "after": fmt_value(measure, judgement.mean, lang),
    }
    if judgement.grain == "month":
        return lang._(
            "The usual range starts again from {date} ({reason}). The average was {before} a month "
            "before and is {after} a month since.",
            **values,
        )
    return lang._(
        "The usual range starts again from {date} ({reason}). The average was {before} before and "
        "is {after} since.",
        **values,
    )


def trial_note(judgement: Judgement, lang: Language) -> str:
    if not judgement.trial:
        return ""
    if judgement.grain == "month":
        return lang.n_(
            "The usual range is provisional: it rests on {n} month so far.",
            "The usual range is provisional: it rests on {n} months so far.",
            judgement.points,
        )
    return lang.n_(
        "The usual range is provisional: it rests on {n} period so far.",
        "The usual range is provisional: it rests on {n} periods so far.",
        judgement.points,
    )


def assurance_sentence(measure: Measure, kind: str | None, lang: Language) -> str:
    """Will the target be met, at today's level of variation?"""
    if kind is None or measure.target is None:
        return ""
    t = lang
    target = measure.target.label
    return {
        "consistent_pass": t._(
            "At the usual level of variation, the target ({target}) will be met almost every time.",
            target=target,
        ),
        "consistent_fail": t._(
            "At the usual level of variation, the target ({target}) will almost never be met.", target=target
        ),
        "inconsistent": t._(
            "At the usual level of variation, the target ({target}) will be met some of the time and "
            "missed some of the time.",
            target=target,
        ),
    }[kind]


def figure_sentence(
    measure: Measure,
    rows: pd.DataFrame,
    quarter: FiscalQuarter,
    subject: str,
    suppressed_text: str,
    lang: Language,
    named: bool = False,
) -> str:
    """The quarter's figure, with the same period a year earlier beside it when both are
    complete (for seasonal series, the fair comparison); or why there is no figure. ``named``:
    the verdict before it already names the subject, so the figure is "Latest: ..."."""
    t = lang
    current = period_value(rows, measure, *period_span(measure, rows, quarter), lang=t)
    if current is None:
        return t._(
            "There is no figure for {subject} for {period} yet.",
            subject=subject,
            period=t.quarter_long(quarter),
        )
    label = current.label or t.quarter_long(quarter)
    missing = without_figure(current, subject, label, suppressed_text, t)
    if missing:
        return missing
    value = fmt_value(measure, current.value, t)
    if named:
        figure = t._("Latest: {value} in {period}", value=value, period=label)
    else:
        figure = t._("{subject}: {value} in {period}", subject=subject, value=value, period=label)
    if current.status == "partial":
        return t._(
            "{figure}, from incomplete data ({reason}), so it is not compared with other periods.",
            figure=figure,
            reason=note_reason(current.note, t),
        )
    sentence = figure + "."
    earlier = period_value(rows, measure, *period_span(measure, rows, quarter.year_earlier()), lang=t)
    if earlier is not None and earlier.comparable and not is_missing(earlier.value):
        sentence += " " + t._("A year earlier: {value}.", value=fmt_value(measure, earlier.value, t))
    return sentence
