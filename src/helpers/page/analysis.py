"""Small, tested building blocks for the analyses analysts write in page notebooks.

They work on privacy-gated tables (``page.table``), so whatever they return can be published:
a hidden value stays hidden (it makes an average "not available"), and nothing is compared with a
period whose data is hidden or incomplete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import pandas as pd

from ..core.language import Language
from ..core.periods import FiscalQuarter
from ..params.measure import Measure
from .narrative import Change, percent_change


class AnalysisError(ValueError):
    """The analysis cannot be done honestly on this data; the message says why."""


@dataclass(frozen=True)
class NotComputable:
    """An analysis the data at hand cannot support (the data end before the event, or every
    series is hidden): the page says why in plain words and the quarter still publishes. A
    mistake in the notebook itself still raises."""

    available: ClassVar[bool] = False
    reason: str  # one sentence in the page's language


@dataclass(frozen=True)
class BeforeAfter:
    """Average per quarter of each series, over quarters before and after an event."""

    available: ClassVar[bool] = True
    measure: Measure
    event: date
    before: list[FiscalQuarter]
    after: list[FiscalQuarter]
    averages: pd.DataFrame  # index: series label; columns: before, after (averages per quarter)
    totals: tuple[float, float]  # all series together: before, after
    lang: Language  # the language of the page the analysis is published on
    left_out: list[FiscalQuarter] = field(default_factory=list)  # incomplete quarters skipped

    @property
    def split_name(self) -> str:
        split, t = self.measure.series_by, self.lang
        part = split.part if split else None
        if part == "weekday":
            return t._("Day of the week")
        if part == "hour":
            return t._("Hour of the day")
        return t._("Series")

    def span(self, quarters: list[FiscalQuarter]) -> str:
        """``October 2025 to March 2026 and July to September 2026``: runs of quarters."""
        runs: list[list[FiscalQuarter]] = []
        for quarter in quarters:
            if runs and runs[-1][-1].shift(1) == quarter:
                runs[-1].append(quarter)
            else:
                runs.append([quarter])
        t = self.lang
        return t.join(
            t._("{first} to {last}", first=t.month(run[0].start), last=t.month(run[-1].end)) for run in runs
        )

    @property
    def before_label(self) -> str:
        return self.lang._("Before: average per quarter, {span}", span=self.span(self.before))

    @property
    def after_label(self) -> str:
        return self.lang._("After: average per quarter, {span}", span=self.span(self.after))

    @property
    def change_label(self) -> str:
        return self.lang._("Change (%)")

    @property
    def table(self) -> pd.DataFrame:
        """The table residents read: one row per series, both averages and the change."""
        out = self.averages.rename(columns={"before": self.before_label, "after": self.after_label})
        out[self.change_label] = [
            percent_change(a, b) for b, a in zip(self.averages["before"], self.averages["after"])
        ]
        out.index.name = self.split_name
        out.attrs.update(measure=self.measure.id, rates=[self.change_label])
        return out

    def long(self) -> pd.DataFrame:
        """The averages in long form (series, period, value), for seaborn."""
        frame = self.averages.reset_index(names="series").melt(
            id_vars="series", var_name="period", value_name="value"
        )
        t = self.lang
        frame["period"] = frame["period"].map(
            {
                "before": t._("Before ({span})", span=self.span(self.before)),
                "after": t._("After ({span})", span=self.span(self.after)),
            }
        )
        return frame

    def facts(self) -> dict[str, Any]:
        """Numbers for a sentence: totals, their change, and the series that changed most and least."""
        t = self.lang
        changes = {
            label: Change(row["after"], row["before"], t)
            for label, row in self.averages.iterrows()
            if not (math.isnan(row["before"]) or math.isnan(row["after"]))
        }
        if not changes:
            raise AnalysisError(f"every series of {self.measure.id} is hidden in one of the periods")
        ordered = sorted(changes, key=lambda label: changes[label].percent)
        before, after = self.totals
        return {
            "before": before,
            "after": after,
            "change": Change(after, before, t),
            "before_span": self.span(self.before),
            "after_span": self.span(self.after),
            "before_quarters": t.n_("{n} quarter", "{n} quarters", len(self.before)),
            "after_quarters": t.n_("{n} quarter", "{n} quarters", len(self.after)),
            "left_out": t.join(t.quarter_long(q) for q in self.left_out),
            "largest_fall": ordered[0],
            "largest_fall_change": changes[ordered[0]],
            "smallest_fall": ordered[-1],
            "smallest_fall_change": changes[ordered[-1]],
        }


def before_after(
    measure: Measure,
    rows: pd.DataFrame,
    event: date | str,
    lang: Language,
    quarters: int = 4,
    event_name: str | None = None,
) -> BeforeAfter | NotComputable:
    """Compare up to ``quarters`` full quarters before ``event`` with up to the latest
    ``quarters`` after it.

    A quarter whose data is incomplete (a gap in the source) is left out: the next complete one
    is taken instead, or the window is shorter. ``left_out`` names those quarters, and the facts
    say how many quarters each window holds. Without a complete quarter on each side, or with
    every series hidden, the result is ``NotComputable`` with the reason."""
    event = date.fromisoformat(event) if isinstance(event, str) else event
    if measure.grain != "quarter":
        raise AnalysisError(f"before_after works on quarterly measures; {measure.id} is by {measure.grain}")
    status = rows["status"] if "status" in rows else pd.Series("complete", index=rows.index)
    incomplete = {FiscalQuarter.parse(p) for p in rows.loc[status.ne("complete"), "period"]}
    periods = sorted({FiscalQuarter.parse(p) for p in rows["period"]} - incomplete)
    before = [q for q in periods if q.end < event][-quarters:]
    after = [q for q in periods if q.start > event][-quarters:]
    if not before or not after:
        return _not_computable(periods, event, event_name, lang, after_missing=not after)
    ordered = rows.sort_values("series_order")
    labels = list(dict.fromkeys(ordered["series"]))

    values = ordered

    def average(window: list[FiscalQuarter]) -> pd.Series:
        inside = values[values["period"].isin([q.id for q in window])]
        grouped = inside.groupby("series", sort=False)["value"]
        # A hidden or incomplete quarter makes the average unknowable, not smaller.
        return grouped.apply(lambda v: v.mean() if v.notna().all() and len(v) == len(window) else math.nan)

    averages = pd.DataFrame({"before": average(before), "after": average(after)}).reindex(labels)
    totals = (float(averages["before"].sum(min_count=1)), float(averages["after"].sum(min_count=1)))
    if averages.isna().any().any():
        totals = (math.nan, math.nan)
    if averages.isna().any(axis=1).all():
        return NotComputable(
            lang._(
                "This comparison cannot be shown: in every group, one of the periods has too few "
                "cases to publish."
            )
        )
    skipped = sorted(q for q in incomplete if before[0] <= q <= after[-1])
    return BeforeAfter(measure, event, before, after, averages, totals, lang, skipped)


def _not_computable(
    periods: list[FiscalQuarter],
    event: date,
    event_name: str | None,
    lang: Language,
    after_missing: bool,
) -> NotComputable:
    t = lang
    when = t.date(event)
    what = t._("{event} ({date})", event=event_name, date=when) if event_name else when
    if not periods:
        return NotComputable(
            t._("This comparison cannot be made yet: there are no complete quarters of data.")
        )
    if after_missing:
        return NotComputable(
            t._(
                "This comparison cannot be made yet. The data end in {end}, and it needs a full "
                "quarter after {event}. It will appear once that quarter is published.",
                end=t.quarter_long(periods[-1]),
                event=what,
            )
        )
    return NotComputable(
        t._(
            "This comparison cannot be made. The data start in {start}, after {event}, so there "
            "is no quarter before it to compare with.",
            start=t.quarter_long(periods[0]),
            event=what,
        )
    )
