"""A source read piece by piece gives exactly the measures of the source read whole: the measures
stage reads one Parquet row group at a time, so that its memory does not grow with the data."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.core.paths import ProjectPaths
from helpers.data.coverage import records_per_day, records_per_day_number
from helpers.data.ingest import canonical_pieces
from helpers.measures.build import KINDS, _frame, compute, prepare
from helpers.measures.districts import district_groups
from helpers.measures.grid import Cells, MonthGrid
from helpers.measures.kinds import coded_columns
from helpers.measures.pieces import Codebook, SourceData, date_parts, day_numbers, pieces_of
from helpers.params.districts import NOT_RECORDED, Districts

from .test_build import END, measure

AGENCIES = ["DPD", "DFD", "DCSD"]


def calls(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """Calls over two years with agencies, people, answer times and gaps in every column."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2024-10-01") + pd.to_timedelta(rng.integers(0, 760, n), unit="D")
    frame = pd.DataFrame(
        {
            "when": days + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
            "agency": rng.choice([*AGENCIES, None], n, p=[0.5, 0.2, 0.25, 0.05]),
            "type": rng.choice(["CRASH", "ALARM", "CHECK"], n),
            "secs": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 40, n)),
            "person_key": np.where(rng.random(n) < 0.4, [f"p{i}" for i in rng.integers(0, 40, n)], None),
            "district": rng.choice(["D1", "D2", None], n),
            "students": rng.integers(0, 50, n),
        }
    )
    return frame  # in no order: a later piece can hold earlier months


def pieced(frame: pd.DataFrame, cuts: list[int]) -> SourceData:
    """``frame`` as several pieces, each with its own categories (as Parquet row groups have)."""
    bounds = [0, *cuts, len(frame)]
    frames = [frame.iloc[a:b].reset_index(drop=True) for a, b in pairwise(bounds)]
    for part in frames:
        for column in ("agency", "type", "district"):
            part[column] = part[column].astype("category")
    whole = prepare(frame, "when", END)
    return SourceData(list(pieces_of(frames, "when", END)), whole.first, whole.last)


MEASURES = {
    "count by agency with a total": {
        "grain": "quarter",
        "privacy": "person_events",
        "population": "calls",
        "series_by": {"column": "agency", "order": ["DPD", "DFD"], "total": "All"},
    },
    "count by weekday": {
        "where": {"type": {"in": ["CRASH"]}, "agency": {"not_in": ["DFD"]}},
        "series_by": {"column": "when", "part": "weekday"},
    },
    "share answered in 15 s": {"kind": "share", "unit": "percent", "numerator_where": {"secs": {"le": 15}}},
    "mean by type": {"kind": "mean", "unit": "average", "value": "students", "series_by": {"column": "type"}},
    "sum by agency": {
        "kind": "sum",
        "value": "students",
        "grain": "quarter",
        "series_by": {"column": "agency"},
    },
    "snapshot": {
        "kind": "snapshot",
        "grain": "quarter",
        "value": "numerator",
        "unit": "positions",
        "numerator": "students",
        "denominator": "secs",
        "series_by": {"column": "type"},
    },
    "familiar interactions": {
        "kind": "familiar_neighbor_interactions",
        "grain": "quarter",
        "privacy": "person_events",
        "familiar": {"person": "person_key", "agency": "agency", "agencies": AGENCIES, "threshold": 3},
        "series_by": {"column": "agency", "order": AGENCIES, "total": "All"},
    },
    "familiar concentration": {
        "kind": "familiar_neighbor_concentration",
        "unit": "percent",
        "grain": "rolling_12_months",
        "privacy": "people",
        "familiar": {
            "person": "person_key",
            "agency": "agency",
            "agencies": ["DPD"],
            "top_share_percent": 10,
        },
    },
    "familiar bands": {
        "kind": "familiar_neighbor_bands",
        "grain": "rolling_12_months",
        "privacy": "people",
        "familiar": {"person": "person_key", "agency": "agency", "agencies": AGENCIES},
    },
}


@pytest.mark.parametrize("name", MEASURES)
def test_every_kind_gives_the_same_rows_from_pieces_as_from_the_whole_table(name):
    m = measure(**MEASURES[name])
    frame = calls()
    later = calls(5, seed=8).assign(when=pd.Timestamp(END) + pd.Timedelta(days=3))
    frame = pd.concat([frame, later], ignore_index=True)
    whole = compute(m, prepare(frame, "when", END), END)
    # Uneven pieces; the last lies after the quarter end, so the cut leaves it empty.
    parts = compute(m, pieced(frame, [1, 90, 91, 350, len(frame) - 5]), END)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(parts, whole)


@pytest.mark.parametrize("name", MEASURES)
def test_pieces_counted_on_two_threads_and_merged_give_the_rows_of_the_whole_table(name):
    # As the measures stage does: piece i is counted by accumulator i % 2, the codes made
    # before, and the two merged at the end. Here the odd pieces are counted first and in
    # reverse, as a slow thread might leave them: what is kept goes back in the pieces' order.
    m = measure(**MEASURES[name])
    frame = calls()
    data = prepare(frame, "when", END)
    whole = compute(m, data, END)
    pieces = list(pieced(frame, [1, 90, 91, 350, 420]).pieces)
    threads = [KINDS[m.kind](m), KINDS[m.kind](m)]
    for piece in pieces:
        piece.seal(coded_columns(m))
    for piece in [*reversed(pieces[1::2]), *pieces[0::2]]:
        threads[piece.index % 2].add(piece)
    threads[0].merge(threads[1])
    pd.testing.assert_frame_equal(_frame(threads[0].rows(data.first, END)), whole)


def test_a_snapshot_tied_across_pieces_keeps_the_earlier_piece_however_the_threads_ran():
    m = measure(**MEASURES["snapshot"])
    tied = calls(40).assign(when=pd.Timestamp("2026-09-30"), type="CRASH")
    tied["students"] = np.arange(40)  # the same moment, a different figure in every row
    data = prepare(tied, "when", END)
    whole = compute(m, data, END)
    pieces = list(pieced(tied, [10, 20, 30]).pieces)
    threads = [KINDS[m.kind](m), KINDS[m.kind](m)]
    for piece in reversed(pieces):
        piece.seal(coded_columns(m))
        threads[piece.index % 2].add(piece)
    threads[1].merge(threads[0])
    rows = _frame(threads[1].rows(data.first, END))
    pd.testing.assert_frame_equal(rows, whole)
    assert rows["value"].iloc[-1] == 0  # the first row of the first piece


def test_a_sealed_piece_makes_no_new_codes():
    # A piece counted on another thread must not change the codebooks the other pieces share.
    (piece,) = pieced(calls(20), []).pieces
    piece.seal({"agency"})
    assert piece.codes("agency")[1]  # made before sealing
    assert piece.codes("when", "weekday")[0].shape == (20,)  # a date part needs no codebook
    with pytest.raises(RuntimeError, match="'type' were not made before the piece was sealed"):
        piece.codes("type")


def test_a_name_keeps_its_code_in_every_piece_whatever_each_piece_holds():
    book = Codebook()
    first = book.encode(pd.Series(["DFD", "DPD", None, "DFD"], dtype="category"))
    second = book.encode(pd.Series(["DCSD", "DPD", None]))
    assert first.tolist() == [0, 1, -1, 0]
    assert second.tolist() == [2, 1, -1]
    assert book.names == ["DFD", "DPD", "DCSD"]


def some_districts(*ids: str) -> Districts:
    """Police districts ``ids`` (the calls' ``district`` column), for splitting pieces."""
    areas = [{"id": i, "name": f"District {i}", "area": "East"} for i in ids]
    return Districts.model_validate(
        {
            "events": "s.district",
            "boundaries": "b",
            "population": "p",
            "measures": ["m"],
            "rate_measure": "m",
            "rate_note": "n",
            "not_recorded": "None recorded",
            "areas": areas,
        }
    )


def test_each_row_goes_to_its_district_or_to_the_calls_with_none_recorded():
    districts = some_districts("D1", "D3")  # D2 is not a district of this plan
    piece = pieced(calls(), [300]).pieces[1]
    groups = district_groups(piece, districts)
    recorded = piece.frame["district"]
    assert (groups[(recorded == "D1").to_numpy()] == 0).all()
    assert (groups[recorded.isna().to_numpy()] == 2).all()  # after the districts: none recorded
    assert (groups[(recorded == "D2").to_numpy()] == -1).all()  # counted in no district
    assert (groups != 1).all()  # no call in D3: an empty district, not a missing one


def test_a_canonical_table_is_read_one_row_group_at_a_time(tmp_path):
    paths = ProjectPaths(tmp_path)
    paths.canonical.mkdir(parents=True)
    table = pa.table(
        {"when": pa.array(range(10), pa.int64()), "agency": pa.array(["DPD"] * 10).dictionary_encode()}
    )
    pq.write_table(table, paths.canonical / "calls.parquet", row_group_size=4)
    sizes = [len(frame) for frame in canonical_pieces(paths, "calls", ["agency"])]
    assert sizes == [4, 4, 2]
    empty = table.slice(0, 0)
    pq.write_table(empty, paths.canonical / "none.parquet")
    (frame,) = canonical_pieces(paths, "none")
    assert list(frame.columns) == ["when", "agency"] and len(frame) == 0


def test_first_and_last_span_the_records_kept_at_the_quarter_end():
    data = prepare(
        pd.DataFrame({"when": pd.to_datetime(["2026-03-02", "2026-12-01", "2025-07-09"])}), "when", END
    )
    assert (data.first, data.last) == (date(2025, 7, 9), date(2026, 3, 2))


def test_a_piece_without_any_identified_person_adds_nothing_and_breaks_nothing():
    """A row group whose person column is all blank has no text type of its own in pandas."""
    m = measure(**MEASURES["familiar bands"])
    identified = pd.DataFrame(
        {"when": pd.to_datetime(["2026-07-03", "2026-08-03"]), "person_key": ["a", "a"]}
    )
    blank = pd.DataFrame(
        {"when": pd.to_datetime(["2026-08-09"]), "person_key": pd.Series([None], dtype=object)}
    )
    for frame in (identified, blank):
        frame["agency"] = "DPD"
    whole = prepare(pd.concat([identified, blank], ignore_index=True), "when", END)
    parts = SourceData(list(pieces_of([identified, blank], "when", END)), whole.first, whole.last)
    pd.testing.assert_frame_equal(compute(m, parts, END), compute(m, whole, END))


def test_the_month_of_every_date_is_its_calendar_month_and_no_date_has_none():
    rng = np.random.default_rng(3)
    dates = pd.Series(pd.to_datetime(rng.integers(-(10**9), 4 * 10**9, 5000), unit="s"))
    dates[::7] = pd.NaT
    expected = np.where(dates.isna(), -1, dates.dt.year * 12 + dates.dt.month - 1)
    assert date_parts(dates, "month").tolist() == expected.tolist()
    assert date_parts(pd.Series([pd.NaT, pd.NaT], dtype="datetime64[s]"), "month").tolist() == [-1, -1]
    weekday = np.where(dates.isna(), -1, dates.dt.day_of_week)  # and the day of the week, likewise
    assert date_parts(dates, "weekday").tolist() == weekday.tolist()


def test_a_piece_dates_its_rows_by_calendar_month_weekday_and_day_from_its_day_numbers():
    # Day numbers (days since 1970) give the month, the day of the week and the records per
    # day; dates before 1970 and just before midnight are where an off-by-one would show.
    rng = np.random.default_rng(5)
    when = pd.Series(pd.to_datetime(rng.integers(-(10**9), 2 * 10**9, 4000), unit="s"))
    when[:3] = pd.to_datetime(["1969-12-31 23:59:59", "1970-01-01 00:00:00", "2026-09-30 23:59:59"])
    piece = next(pieces_of([pd.DataFrame({"when": when})], "when", date(2026, 9, 30)))
    kept = when[when <= pd.Timestamp("2026-09-30 23:59:59")].reset_index(drop=True)
    assert len(piece.frame) == len(kept) < len(when)
    assert piece.month.tolist() == (kept.dt.year * 12 + kept.dt.month - 1).tolist()
    assert piece.codes("when", "weekday")[0].tolist() == kept.dt.day_of_week.tolist()
    assert records_per_day_number(piece.days) == records_per_day(pa.array(kept.to_numpy()))


@pytest.mark.parametrize("name", MEASURES)
def test_counting_by_district_gives_every_kind_what_its_calls_alone_give(name):
    # A measure's conditions are worked out once on the whole piece, and its counts split by
    # district in one bincount: each district must get exactly what its calls alone give. A
    # kind that keeps rows cannot be counted so (only counts are reported by district).
    m = measure(**MEASURES[name])
    districts = some_districts("D1", "D2")
    frame = calls()
    data = pieced(frame, [150, 420])
    each = [KINDS[m.kind](m) for _ in ["D1", "D2", NOT_RECORDED]]
    if not each[0].groupable:
        with pytest.raises(TypeError, match="keeps rows"):
            each[0].add_by_group(data.pieces[0], district_groups(data.pieces[0], districts), each)
        return
    for piece in data.pieces:
        piece.seal(coded_columns(m) | {"district"})
        each[0].add_by_group(piece, district_groups(piece, districts), each)
    for district, accumulator in zip(["D1", "D2", NOT_RECORDED], each, strict=True):
        chosen = frame["district"].isna() if district == NOT_RECORDED else frame["district"] == district
        alone = prepare(frame[chosen].reset_index(drop=True), "when", END)
        pd.testing.assert_frame_equal(_frame(accumulator.rows(alone.first, END)), compute(m, alone, END))


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns", "m", "D"])
def test_day_numbers_round_down_to_the_calendar_day_in_every_unit(unit):
    times = np.array(
        ["1969-12-31T23:59:59", "1970-01-01T00:00:00", "1900-03-01T12:00:00", "2026-09-30T23:59:59"]
    )
    values = times.astype("datetime64[s]").astype(f"datetime64[{unit}]")
    assert day_numbers(values).tolist() == values.astype("datetime64[D]").astype(np.int64).tolist()
    assert day_numbers(values)[0] == -1  # the last second of 1969 is day -1, not day 0


@pytest.mark.parametrize("share", [0.0, 0.1, 0.6, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_grid_counts_each_series_and_month_exactly_whatever_share_of_rows_it_keeps(share, weighted):
    # Few rows kept are picked out; most rows are counted with the others weighing 0; every row
    # is counted as it is. Rows without a code (a missing series value) never count.
    rng = np.random.default_rng(11)
    n = 2000
    codes = rng.integers(-1, 4, n).astype(np.int32)
    month = rng.integers(24300, 24320, n).astype(np.int32)
    mask = rng.random(n) < share
    weights = np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 100) if weighted else None
    grid = MonthGrid(["a", "b", "c", "d"])
    for part in np.array_split(np.arange(n), 3):  # piece by piece, as the measures add them
        cells = Cells.of(codes[part], month[part], len(grid.names))
        grid.add(cells, mask[part], None if weights is None else weights[part])
    expected: dict[tuple[int, int], float] = {}  # a blank weight kept makes its cell blank
    for i in np.flatnonzero(mask & (codes >= 0)):
        cell = (int(codes[i]), int(month[i]))
        expected[cell] = expected.get(cell, 0.0) + (1.0 if weights is None else weights[i])
    for (code, m), value in expected.items():
        assert grid.total([grid.names[code]], [m]) == pytest.approx(value, nan_ok=True)
    everything = grid.total(list(grid.names), list(range(24300, 24320)))
    assert everything == pytest.approx(sum(expected.values()), nan_ok=True)


@pytest.mark.parametrize("chosen", [0, 1, 4, 5, 9])
def test_among_answers_as_isin_whether_it_compares_codes_or_looks_them_up(chosen):
    # Up to four names are compared code by code, more are looked up row by row: both answer
    # as pandas' isin, a missing value is never among them, and the answer is shared read-only.
    rng = np.random.default_rng(5)
    names = [f"t{i}" for i in range(9)]
    values = pd.Series(rng.choice([*names, None], 3000)).astype("category")
    piece = next(pieces_of([pd.DataFrame({"when": pd.Timestamp("2026-08-01"), "type": values})], "when", END))
    wanted = [*names[:chosen], "never seen"]
    hit = piece.among("type", wanted)
    assert hit.tolist() == values.isin(wanted).tolist()
    assert piece.among("type", reversed(wanted)) is hit
    with pytest.raises(ValueError, match="read-only"):
        hit[0] = not hit[0]
