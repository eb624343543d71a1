"""The one-pass scan: a file read in pieces gives the same canonical table as the whole-table
validation, and anything it cannot vouch for goes to the whole-table validation, which locates
it (the failure table is the one before the scan existed)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.data import export_pieces, scan
from helpers.data import ingest as ingest_module
from helpers.data.ingest import SourceValidationError, load_canonical

from .test_ingest import BAD_INPUTS, SOURCES, make_project, run

HEADER = "Event,Received,Secs,Dept,Person\n"


def many_calls(n: int, note: str = "", prefix: str = "E") -> str:
    rows = [
        f"{prefix}{i},07/{1 + i % 28:02d}/2026 {i % 24:02d}:{i % 60:02d},{i % 50},"
        f"{'Police' if i % 3 else 'Fire'},{f'P{i % 7}' if i % 2 else ''}"
        for i in range(n)
    ]
    return HEADER + "\n".join(rows) + "\n" + note


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("TEST_PSEUDONYM_KEY", "test-secret")


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of a few hundred bytes, so that a small file is cut many times."""
    monkeypatch.setattr(export_pieces, "CHUNK_BYTES", 300)


def whole_table(paths, monkeypatch) -> pa.Table:
    """The canonical table the whole-table validation writes for the same file."""

    def refuse(*args, **kwargs):
        raise export_pieces.NotClean("asked to validate whole")

    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "scan_source", refuse)
        run(paths)
    return pq.read_table(paths.canonical / "calls.parquet")


def test_a_file_read_in_pieces_gives_the_table_read_whole(tmp_path, key, small_pieces, monkeypatch):
    paths = make_project(tmp_path, calls=many_calls(400))
    run(paths)
    pieces = pq.read_table(paths.canonical / "calls.parquet")
    assert pq.ParquetFile(paths.canonical / "calls.parquet").metadata.num_row_groups > 10
    whole = whole_table(paths, monkeypatch)
    assert pieces.num_rows == 400
    assert pieces.to_pandas().equals(whole.to_pandas())
    assert pieces.schema == whole.schema  # text categorised the same way in both


def test_a_quoted_line_break_is_never_cut(tmp_path, key, small_pieces, monkeypatch):
    rows = [f'E{i},07/01/2026 08:00,{i},"Police",' for i in range(60)]
    rows[20] = 'E20,07/01/2026 08:00,20,"Pol\nice",'  # a line break inside quotes, mid-file
    paths = make_project(tmp_path, calls=HEADER + "\n".join(rows) + "\n")
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    table = caught.value.failures
    # the value is one field (and not a known department), on the record it belongs to
    assert table[["row", "column", "value"]].values.tolist() == [[22, "agency", "Pol\nice"]]


@pytest.mark.parametrize("case", [c for c, (_, row, _, _) in BAD_INPUTS.items() if isinstance(row, int)])
def test_problems_found_in_pieces_are_located_as_before(tmp_path, key, small_pieces, case):
    calls, row, column, check = BAD_INPUTS[case]
    body = "".join(calls.splitlines(keepends=True)[1:])
    paths = make_project(tmp_path, calls=many_calls(200, prefix="G") + body)  # after many pieces
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    table = caught.value.failures
    match = table[(table["column"] == column) & table["check"].str.contains(check, regex=False)]
    assert len(match) >= 1, table.to_string()
    assert match.iloc[0]["row"] == row + 200


def test_a_key_repeated_in_another_piece_is_found(tmp_path, key, small_pieces):
    calls = many_calls(300) + "E7,07/09/2026 08:00,5,Police,\n"
    paths = make_project(tmp_path, calls=calls)
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    table = caught.value.failures
    assert table[["row", "column", "value"]].values.tolist() == [[302, "event_id", "E7"]]


def test_a_clean_source_is_written_without_a_second_reading(tmp_path, key, monkeypatch):
    paths = make_project(tmp_path, calls=many_calls(50))

    def refuse(*args, **kwargs):
        raise AssertionError("a clean source was validated whole")

    monkeypatch.setattr(ingest_module, "validate_source", refuse)
    result = run(paths)
    assert result.record.sources["calls"].rows == 50
    assert len(load_canonical(paths, "calls")) == 50


def test_the_piece_checks_send_anything_doubtful_to_the_whole_table_checks():
    import datetime as dt

    sources = load_sources_text(SOURCES).sources
    today = dt.date(2026, 10, 15)

    def events(departments):
        return pa.table(
            {
                "day": pa.array([dt.date(2026, 7, 4)] * len(departments), pa.date32()),
                "name": pa.array([f"e{i}" for i in range(len(departments))]),
                "departments": pa.array(departments, pa.string()),
                "departments_count": pa.array([1] * len(departments), pa.int64()),
            }
        )

    assert scan.rows_pass(events(["DFD;DPD", "", "DPD"]), sources["events"], today)
    assert not scan.rows_pass(events(["DFD;", "DPD"]), sources["events"], today)  # an empty item
    assert not scan.rows_pass(events(["DFD;SHERIFF"]), sources["events"], today)

    def calls(received, seconds=5, agency="DPD"):
        return pa.table(
            {
                "event_id": pa.array(["E1"]),
                "received_at": pa.array([received], pa.timestamp("s")),
                "seconds": pa.array([seconds], pa.int64()),
                "agency": pa.array([agency]),
                "person_key": pa.array([None], pa.string()),
            }
        )

    last_second = dt.datetime(2026, 10, 15, 23, 59, 59)
    assert scan.rows_pass(calls(last_second), sources["calls"], today)
    assert not scan.rows_pass(calls(last_second + dt.timedelta(seconds=1)), sources["calls"], today)
    assert not scan.rows_pass(calls(dt.datetime(2019, 12, 31, 23, 59)), sources["calls"], today)
    assert not scan.rows_pass(calls(last_second, seconds=-1), sources["calls"], today)
    assert not scan.rows_pass(calls(last_second, agency="SHERIFF"), sources["calls"], today)
    assert not scan.rows_pass(calls(last_second, seconds=None), sources["calls"], today)  # required


def load_sources_text(text: str):
    import tempfile
    from pathlib import Path

    from helpers.params.sources import load_sources

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sources.yml"
        path.write_text(text)
        return load_sources(path)


def test_a_source_without_a_unique_key_is_read_in_one_pass(tmp_path, key, small_pieces):
    paths = make_project(tmp_path, calls=many_calls(400))
    sources = paths.params / "sources.yml"
    sources.write_text(SOURCES.replace("    unique: [event_id]\n", ""))
    assert "event_id]" not in sources.read_text()
    run(paths)
    written = pq.ParquetFile(paths.canonical / "calls.parquet")
    assert written.metadata.num_rows == 400
    assert written.metadata.num_row_groups > 10  # the scan's pieces, not the whole-table path


def test_a_time_padded_with_spaces_is_read_as_text_in_the_same_single_pass(tmp_path, key, monkeypatch):
    # The reader converts whole numbers itself (times come as text); a value it cannot convert as it
    # stands sends its piece back to be read as text and trimmed, not the source to the
    # whole-table validation, and the table is the one the text gives.
    calls = many_calls(40) + "E99, 07/09/2026 08:00 , 5 ,Police,\n"
    paths = make_project(tmp_path, calls=calls)

    def refuse(*args, **kwargs):
        raise AssertionError("a clean source was validated whole")

    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "validate_source", refuse)
        run(paths)
    pieces = pq.read_table(paths.canonical / "calls.parquet")
    whole = whole_table(paths, monkeypatch)
    assert pieces.to_pandas().equals(whole.to_pandas())
    row = pieces.to_pandas().iloc[-1]
    assert (row["event_id"], str(row["received_at"]), row["seconds"]) == ("E99", "2026-07-09 08:00:00", 5)
