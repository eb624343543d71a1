"""The familiar-neighbor kinds of initiative 2.11: responses to people a department has met
often, how concentrated responses are, and how many people are served repeatedly.

A person is whoever the plan's ``familiar.person`` column identifies (a pseudonymised key, never
published) and a department is the ``familiar.agency`` column; only identified responses of the
listed agencies count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..core.language import ENGLISH
from ..core.periods import Period, periods_for, rolling_period
from ..params.measure import Measure
from .kinds import Kind, Series, SourceData, month_key, row, series_for, where_mask


@dataclass
class _People:
    """Identified responses of the listed agencies: person code, month, agency."""

    person: np.ndarray
    month: np.ndarray
    agency: np.ndarray


def _people(measure: Measure, data: SourceData) -> _People:
    assert measure.familiar is not None
    frame = data.frame
    person, _ = data.codes(measure.familiar.person)
    agency, agency_names = data.codes(measure.familiar.agency)
    listed = np.array([name in measure.familiar.agencies for name in agency_names] + [False])
    mask = (person >= 0) & listed[agency] & where_mask(frame, measure.where)
    names = np.array([*agency_names, ""], dtype=object)
    return _People(person[mask], data.month[mask], names[agency[mask]])


def _window_counts(people: _People, period: Period) -> np.ndarray:
    inside = (people.month >= month_key(period.start)) & (people.month <= month_key(period.end))
    return np.bincount(people.person[inside], minlength=int(people.person.max(initial=-1)) + 1)


def _window_for(quarter_period: Period, months: int, floor: date) -> Period:
    return rolling_period(quarter_period.end, months, floor=floor)


def _familiar_interactions(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    people = _people(measure, data)
    series = series_for(measure, familiar.agencies)
    rows = []
    population = measure.population_key
    for period in periods_for("quarter", data.first, end):
        window = _window_for(period, familiar.window_months, data.first)
        counts = _window_counts(people, window)
        is_familiar = counts >= familiar.threshold
        in_quarter = (people.month >= month_key(period.start)) & (people.month <= month_key(period.end))
        hit = in_quarter & is_familiar[people.person] if len(counts) else in_quarter & False
        by_agency = pd.Series(people.agency[hit]).value_counts()
        for s in series:
            parts = s.parts or [s.code]
            value = float(sum(by_agency.get(code, 0) for code in parts))
            atoms = [f"{population}|{code}|{period.id}" for code in parts]
            rows.append(row(measure, period, s, value, privacy_counts=[value], atoms=atoms))
    return rows


def _familiar_concentration(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    people = _people(measure, data)
    series = series_for(measure, [])[0]
    rows = []
    for window in periods_for("rolling_12_months", data.first, end):
        counts = _window_counts(people, window)
        served = np.sort(counts[counts > 0])[::-1]
        if not len(served):
            continue
        top = math.ceil(familiar.top_share_percent / 100.0 * len(served))
        top_total, total = float(served[:top].sum()), float(served.sum())
        rows.append(
            row(
                measure,
                window,
                series,
                100.0 * top_total / total,
                numerator=top_total,
                denominator=total,
                privacy_counts=[top_total, total],
                min_group=top,
            )
        )
    return rows


def _familiar_bands(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    people = _people(measure, data)
    bands = familiar.bands
    population = measure.population_key
    rows = []
    for window in periods_for("rolling_12_months", data.first, end):
        counts = _window_counts(people, window)
        for i, low in enumerate(bands):
            s = Series(f"{low}+", ENGLISH._("{n} or more times", n=low), i)
            value = float((counts >= low).sum())
            atoms = [f"{population}|{window.id}|band{j}" for j in range(i, len(bands))]
            rows.append(row(measure, window, s, value, privacy_counts=[value], atoms=atoms))
    return rows


FAMILIAR_KINDS: dict[str, Kind] = {
    "familiar_neighbor_interactions": _familiar_interactions,
    "familiar_neighbor_concentration": _familiar_concentration,
    "familiar_neighbor_bands": _familiar_bands,
}
