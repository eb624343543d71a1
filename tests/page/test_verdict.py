"""Sentences that lead with the verdict of the process limits: within the usual range, or a real
change and since when, in both editions; never a verdict on an incomplete month."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd

from helpers.core.language import ENGLISH
from helpers.core.periods import FiscalQuarter, periods_for
from helpers.measures.limits import add_process
from helpers.page.verdict import judge, reset_sentence, trial_note, verdict
from helpers.translation.edition import edition

from ..conftest import REPO
from ..measures.test_build import measure

QUARTER = FiscalQuarter.parse("FY2027Q1")  # July to September 2026
STEADY = [50, 54, 49, 53, 51, 48, 52, 50, 55, 47, 51, 53, 49, 52, 50, 54, 48, 51, 53, 50, 52, 49, 51, 50]


def monthly(values: list[float], status: dict[int, str] | None = None, **settings) -> tuple:
    """A monthly measure ending September 2026, judged as the measures stage judges it."""
    m = measure(**settings)
    periods = periods_for("month", date(2020, 1, 1), date(2026, 9, 30))[-len(values) :]
    rows = pd.DataFrame(
        {
            "measure": "m",
            "period": [p.id for p in periods],
            "grain": "month",
            "period_start": [p.start for p in periods],
            "period_end": [p.end for p in periods],
            "period_label": [ENGLISH.period_label(p.id, "month", p.start, p.end) for p in periods],
            "series": "All",
            "series_order": 0,
            "value": [float(v) for v in values],
            "suppressed": False,
            "status": [(status or {}).get(i, "complete") for i in range(len(values))],
        }
    )
    return m, add_process(rows, SimpleNamespace(measures=[m]))


def lead(values, **kwargs) -> str:
    status = kwargs.pop("status", None)
    _, rows = monthly(values, status, **kwargs)
    return verdict(judge(rows, QUARTER), "Calls", "July to September 2026", ENGLISH)


def test_the_usual_ups_and_downs_are_said_to_be_usual():
    assert lead(STEADY) == "Calls stayed within the usual range in July to September 2026."


def test_a_point_outside_the_limits_is_a_real_change_named_by_its_month():
    text = lead([*STEADY[:-1], 80], better="decrease")
    assert text == (
        "Calls rose above the usual range in September 2026. "
        "This is a real change for the worse, not the usual ups and downs."
    )


def test_a_run_below_the_average_gives_the_month_it_started():
    text = lead([*STEADY[:-8], 51, 45, 46, 45, 44, 46, 45, 44], better="decrease")
    assert text.startswith("Calls stayed below the usual average from March 2026.")
    assert text.endswith("This is a real change for the better, not the usual ups and downs.")


def test_neutral_measures_say_real_change_without_better_or_worse():
    text = lead([*STEADY[:-1], 80], better="neutral")
    assert text.endswith("This is a real change, not the usual ups and downs.")


def test_an_incomplete_month_is_never_the_verdict():
    text = lead([*STEADY[:-1], 80], better="decrease", status={len(STEADY) - 1: "partial"})
    assert text == "Calls stayed within the usual range in July to September 2026."


def test_a_declared_change_starts_the_usual_range_again_and_is_told():
    values = [650, 700, 640, 690, 660, 710, 630, 680, 670, 690, 650, 700, 480, 500, 470, 510, 490, 500]
    pilot = {"chart": "xmr", "changes": [{"date": "2026-04-01", "reason": "Pilot"}]}
    m, rows = monthly(values, process=pilot)
    judgement = judge(rows, QUARTER)
    assert judgement.segment == 1 and not judgement.signal  # the new level is the new usual
    assert reset_sentence(judgement, m, ENGLISH) == (
        "The usual range starts again from April 2026 (Pilot). The average was 672 a month before "
        "and is 492 a month since."
    )
    assert trial_note(judgement, ENGLISH) == "The usual range is provisional: it rests on 6 months so far."


def test_the_spanish_verdict_reads_naturally_without_verb_agreement():
    spanish = edition(REPO / "params", "es").language
    _, rows = monthly([*STEADY[:-1], 80], better="decrease")
    text = verdict(judge(rows, QUARTER), "Llamadas", "julio a septiembre de 2026", spanish)
    assert text == (
        "Llamadas: por encima del rango habitual en septiembre de 2026. "
        "Es un cambio real a peor, no las subidas y bajadas habituales."
    )
