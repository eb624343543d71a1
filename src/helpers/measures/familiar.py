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
import pyarrow as pa

from ..core.language import ENGLISH
from ..core.periods import Period, periods_for, rolling_period
from ..params.measure import Measure
from .kinds import Accumulator, Kind, Series, row, series_for, where_mask
from .pieces import Piece, month_key


@dataclass
class _People:
    """Identified responses of the listed agencies, in month order: person code, month, and
    agency code (a name in ``agency_names``; -1 none). A window of months is a slice."""

    person: np.ndarray
    month: np.ndarray
    agency: np.ndarray
    agency_names: list[str]

    def between(self, first_month: int, last_month: int) -> slice:
        """The responses from ``first_month`` to ``last_month`` (month keys), both included."""
        # bounds of the months' own type: numpy would otherwise convert every month to compare
        first, last = np.array([first_month, last_month], dtype=self.month.dtype)
        low = int(np.searchsorted(self.month, first, side="left"))
        return slice(low, int(np.searchsorted(self.month, last, side="right")))


class _Responses(Accumulator):
    """Keeps each piece's identified responses (person, month, agency): a small share of the
    rows, and only three columns of them. A piece's persons are numbered on its own counting
    thread (``dictionary_encode``); ``people`` only joins the pieces' numberings."""

    def __init__(self, measure: Measure) -> None:
        super().__init__(measure)
        # Per piece: (its index, its persons as codes and names, months, agency codes); put in
        # piece order at the end.
        self.kept: list[tuple[int, pa.DictionaryArray, np.ndarray, np.ndarray]] = []
        self.agency_names: list[str] = []

    def add(self, piece: Piece) -> None:
        familiar = self.measure.familiar
        assert familiar is not None
        agency, self.agency_names = piece.codes(familiar.agency)
        listed = piece.among(familiar.agency, familiar.agencies)
        person, identified = piece.shared(
            ("identified", familiar.person), lambda: _identified(piece, familiar.person)
        )
        mask = identified & listed & where_mask(piece, self.measure.where)
        persons = person.filter(pa.array(mask)).cast(pa.large_string()).dictionary_encode()
        self.kept.append((piece.index, persons, piece.month[mask], agency[mask]))

    def merge(self, other: Accumulator) -> None:
        assert isinstance(other, _Responses)
        self.kept += other.kept
        if len(other.agency_names) > len(self.agency_names):  # the same codebook, later
            self.agency_names = other.agency_names

    def people(self) -> _People:
        """Every piece's responses, with one code per person across pieces."""
        if not self.kept:
            empty = np.zeros(0, dtype=np.int32)
            return _People(empty.astype(np.int64), empty, empty, self.agency_names)
        kept = sorted(self.kept, key=lambda k: k[0])
        joined = pa.chunked_array([k[1] for k in kept]).unify_dictionaries()
        persons = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in joined.chunks])
        month = np.concatenate([k[2] for k in kept])
        order = np.argsort(month, kind="stable")
        return _People(
            persons.astype(np.int64)[order],
            month[order],
            np.concatenate([k[3] for k in kept])[order],
            list(self.agency_names),
        )


def _identified(piece: Piece, column: str) -> tuple[pa.Array, np.ndarray]:
    """A piece's person keys as one Arrow array of text, and whether each row has one: made
    once per piece for every familiar-neighbor measure. A column Arrow holds is not copied."""
    array = pa.array(piece.frame[column], from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array, array.is_valid().to_numpy(zero_copy_only=False)


def _window_counts(people: _People, period: Period) -> np.ndarray:
    """Responses per person code within ``period``'s months."""
    inside = people.between(month_key(period.start), month_key(period.end))
    return np.bincount(people.person[inside], minlength=int(people.person.max(initial=-1)) + 1)


def _window_for(quarter_period: Period, months: int, floor: date) -> Period:
    return rolling_period(quarter_period.end, months, floor=floor)


class _Interactions(_Responses):
    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        return _interactions(self.measure, self.people(), first, end)


def _interactions(measure: Measure, people: _People, first: date, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    series = series_for(measure, familiar.agencies)
    rows = []
    population = measure.population_key
    for period in periods_for("quarter", first, end):
        window = _window_for(period, familiar.window_months, first)
        counts = _window_counts(people, window)
        is_familiar = counts >= familiar.threshold
        quarter = people.between(month_key(period.start), month_key(period.end))
        agencies = people.agency[quarter][is_familiar[people.person[quarter]]]
        tally = np.bincount(agencies[agencies >= 0], minlength=len(people.agency_names))
        by_agency = dict(zip(people.agency_names, tally.tolist(), strict=True))
        for s in series:
            parts = s.parts or [s.code]
            value = float(sum(by_agency.get(code, 0) for code in parts))
            atoms = [f"{population}|{code}|{period.id}" for code in parts]
            rows.append(row(measure, period, s, value, privacy_counts=[value], atoms=atoms))
    return rows


class _Concentration(_Responses):
    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        return _concentration(self.measure, self.people(), first, end)


def _concentration(measure: Measure, people: _People, first: date, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    series = series_for(measure, [])[0]
    rows = []
    for window in periods_for("rolling_12_months", first, end):
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


class _Bands(_Responses):
    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        return _bands(self.measure, self.people(), first, end)


def _bands(measure: Measure, people: _People, first: date, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    bands = familiar.bands
    population = measure.population_key
    rows = []
    for window in periods_for("rolling_12_months", first, end):
        counts = _window_counts(people, window)
        for i, low in enumerate(bands):
            s = Series(f"{low}+", ENGLISH._("{n} or more times", n=low), i)
            value = float((counts >= low).sum())
            atoms = [f"{population}|{window.id}|band{j}" for j in range(i, len(bands))]
            rows.append(row(measure, window, s, value, privacy_counts=[value], atoms=atoms))
    return rows


FAMILIAR_KINDS: dict[str, Kind] = {
    "familiar_neighbor_interactions": _Interactions,
    "familiar_neighbor_concentration": _Concentration,
    "familiar_neighbor_bands": _Bands,
}
