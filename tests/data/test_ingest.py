"""Ingest: exports map in through YAML alone; bad input stops everything with a precise table."""

from __future__ import annotations

import hashlib
import hmac
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers.core.paths import ProjectPaths
from helpers.data.ingest import SourceValidationError, ingest, load_canonical, pseudonymise
from helpers.data.raw import PseudonymKeyMissing
from helpers.params.sources import load_sources

TODAY = date(2026, 10, 15)

SOURCES = textwrap.dedent("""
    version: 1
    pseudonymisation: {key_env: TEST_PSEUDONYM_KEY, demo_key: demo, digest_chars: 16}
    sources:
      calls:
        title: Calls
        publisher: Test
        description: Test calls.
        files: "calls/*.csv"
        format: csv
        expected: daily
        date_column: received_at
        unique: [event_id]
        columns:
          event_id: {from: "Event", type: string, identifier: true}
          received_at:
            {from: "Received", type: datetime, format: "%m/%d/%Y %H:%M", min: 2020-01-01, max: today}
          seconds: {from: "Secs", type: integer, min: 0}
          agency:
            from: "Dept"
            type: string
            values: {Police: DPD, Fire: DFD}
            allowed: [DPD, DFD]
          person_key: {from: "Person", type: string, nullable: true, identifies_person: true}
      events:
        title: Events
        publisher: Test
        description: Test events.
        files: "events.csv"
        format: csv
        expected: sparse
        date_column: day
        unique: [day, name]
        columns:
          day: {from: "Date", type: date, format: "%Y-%m-%d"}
          name: {from: "Name", type: string}
          departments:
            {from: "Depts", type: list, split: ";", values: {Police: DPD, Fire: DFD}, allowed: [DPD, DFD]}
""")

GOOD_CALLS = (
    "Event,Received,Secs,Dept,Person\n"
    "E1,07/01/2026 08:00,5,Police,P1000001\n"
    "E2,07/01/2026 09:30,40,Fire,\n"
    "E3,07/02/2026 10:15,12,Police,P1000001\n"
)
GOOD_EVENTS = "Date,Name,Depts\n2026-07-04,Block party,Police; Fire\n2026-07-05,Open house,Fire\n"


def make_project(tmp_path: Path, calls: str = GOOD_CALLS, events: str = GOOD_EVENTS) -> ProjectPaths:
    root = tmp_path / "proj"
    (root / "params").mkdir(parents=True)
    (root / "params" / "sources.yml").write_text(SOURCES)
    (root / "data" / "raw" / "calls").mkdir(parents=True)
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "raw" / "calls" / "calls_2026.csv").write_text(calls)
    (root / "data" / "raw" / "events.csv").write_text(events)
    return ProjectPaths(root)


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("TEST_PSEUDONYM_KEY", "test-secret")
    return b"test-secret"


def run(paths: ProjectPaths):
    return ingest(paths, load_sources(paths.params / "sources.yml"), today=TODAY)


def test_exports_map_to_canonical_columns_and_types(tmp_path, key):
    paths = make_project(tmp_path)
    result = run(paths)
    calls = load_canonical(paths, "calls")
    assert list(calls.columns) == ["event_id", "received_at", "seconds", "agency", "person_key"]
    assert calls["agency"].tolist() == ["DPD", "DFD", "DPD"]
    assert calls["received_at"].iloc[2] == pd.Timestamp("2026-07-02 10:15")
    assert calls["seconds"].tolist() == [5, 40, 12]
    events = load_canonical(paths, "events")
    assert events["departments"].tolist() == ["DFD;DPD", "DFD"]
    assert events["departments_count"].tolist() == [2, 1]
    assert result.record.sources["calls"].model_dump() == {
        "rows": 3,
        "first_date": "2026-07-01",
        "last_date": "2026-07-02",
        "files": {"calls/calls_2026.csv": hashlib.sha256(GOOD_CALLS.encode()).hexdigest()},
        "days": {"2026-07-01": 2, "2026-07-02": 1},  # which days have records: the coverage
        "skipped_rows": {},
    }


def test_other_column_names_and_date_formats_need_only_yaml(tmp_path, key):
    paths = make_project(
        tmp_path, calls=("ID,Call Time,Answer,Agency,MNI\nX9,2026-07-01T08:00,7,Police,P1\n")
    )
    text = (paths.params / "sources.yml").read_text()
    text = (
        text.replace('"Event"', '"ID"')
        .replace('"Received"', '"Call Time"')
        .replace('"%m/%d/%Y %H:%M"', '"%Y-%m-%dT%H:%M"')
        .replace('"Secs"', '"Answer"')
        .replace('"Dept"', '"Agency"')
        .replace('"Person"', '"MNI"')
    )
    (paths.params / "sources.yml").write_text(text)
    run(paths)
    calls = load_canonical(paths, "calls")
    assert calls.loc[0, "event_id"] == "X9"
    assert calls.loc[0, "received_at"] == pd.Timestamp("2026-07-01 08:00")


def test_person_keys_are_pseudonymised_with_the_environment_key(tmp_path, key):
    paths = make_project(tmp_path)
    run(paths)
    calls = load_canonical(paths, "calls")
    expected = hmac.new(key, b"P1000001", hashlib.sha256).hexdigest()[:16]
    assert calls["person_key"].tolist()[0] == expected == calls["person_key"].tolist()[2]
    assert pd.isna(calls["person_key"].tolist()[1])
    for parquet in (p for p in paths.canonical.rglob("*") if p.is_file()):
        assert b"P1000001" not in parquet.read_bytes(), parquet.name


def test_same_inputs_give_byte_identical_tables(tmp_path, key):
    paths = make_project(tmp_path)
    run(paths)
    first = {p.name: p.read_bytes() for p in paths.canonical.glob("*.parquet")}
    run(paths)
    assert first == {p.name: p.read_bytes() for p in paths.canonical.glob("*.parquet")}


def test_real_data_without_a_key_stops(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_PSEUDONYM_KEY", raising=False)
    paths = make_project(tmp_path)
    with pytest.raises(PseudonymKeyMissing, match="TEST_PSEUDONYM_KEY"):
        run(paths)
    assert not paths.canonical.exists()


def test_sample_data_may_use_the_documented_demo_key(tmp_path, monkeypatch):
    monkeypatch.delenv("TEST_PSEUDONYM_KEY", raising=False)
    paths = make_project(tmp_path)
    (paths.raw / "SAMPLE_DATA.json").write_text("{}")
    result = run(paths)
    assert result.record.demo_pseudonym_key is True and result.record.sample_data is True
    expected = hmac.new(b"demo", b"P1000001", hashlib.sha256).hexdigest()[:16]
    assert load_canonical(paths, "calls")["person_key"].iloc[0] == expected


BAD_INPUTS = {
    "missing column": (
        "Event,Received,Secs,Dept\nE1,07/01/2026 08:00,5,Police\n",
        "",
        "Person",
        "column is missing from the file",
    ),
    "extra column": (
        "Event,Received,Secs,Dept,Person,Notes\nE1,07/01/2026 08:00,5,Police,,x\n",
        "",
        "Notes",
        "unexpected column",
    ),
    "wrong type": (
        "Event,Received,Secs,Dept,Person\nE1,07/01/2026 08:00,five,Police,\n",
        2,
        "seconds",
        "parse as integer",
    ),
    "unparseable date": (
        "Event,Received,Secs,Dept,Person\nE1,2026-07-01 08:00,5,Police,\n",
        2,
        "received_at",
        "parse as datetime with format %m/%d/%Y %H:%M",
    ),
    "a day February lacks": (  # Arrow alone reads it as 2 March
        "Event,Received,Secs,Dept,Person\nE1,02/30/2026 08:00,5,Police,\n",
        2,
        "received_at",
        "parse as datetime with format %m/%d/%Y %H:%M",
    ),
    "a day April lacks, not zero-padded": (  # as 1 May
        "Event,Received,Secs,Dept,Person\nE1,4/31/2026 8:00,5,Police,\n",
        2,
        "received_at",
        "parse as datetime with format %m/%d/%Y %H:%M",
    ),
    "out-of-range date": (
        "Event,Received,Secs,Dept,Person\nE1,07/01/2099 08:00,5,Police,\n",
        2,
        "received_at",
        "date on or before 2026-10-15",
    ),
    "duplicate event": (
        "Event,Received,Secs,Dept,Person\nE1,07/01/2026 08:00,5,Police,\nE1,07/01/2026 08:05,6,Police,\n",
        3,
        "event_id",
        "duplicate event",
    ),
    "negative count": (
        "Event,Received,Secs,Dept,Person\nE1,07/01/2026 08:00,-3,Police,\n",
        2,
        "seconds",
        "value at least 0",
    ),
    "unknown department": (
        "Event,Received,Secs,Dept,Person\nE1,07/01/2026 08:00,5,Sheriff,\n",
        2,
        "agency",
        "value is one of: DPD, DFD",
    ),
    "empty file": ("Event,Received,Secs,Dept,Person\n", "", "", "file has no data rows"),
    "blank required value": (
        "Event,Received,Secs,Dept,Person\nE1,07/01/2026 08:00,,Police,\n",
        2,
        "seconds",
        "value is required",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_reported_and_nothing_is_written(tmp_path, key, case):
    calls, row, column, check = BAD_INPUTS[case]
    paths = make_project(tmp_path)
    run(paths)  # a good earlier ingest must survive the bad one untouched
    before = {p.name: p.read_bytes() for p in paths.canonical.rglob("*") if p.is_file()}
    (paths.raw / "calls" / "calls_2026.csv").write_text(calls)
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    table = caught.value.failures
    assert list(table.columns) == ["source", "file", "row", "column", "value", "check"]
    match = table[(table["column"] == column) & table["check"].str.contains(check, regex=False)]
    assert len(match) >= 1, table.to_string()
    assert match.iloc[0]["file"] == "calls/calls_2026.csv" and match.iloc[0]["row"] == row
    assert "Nothing was written" in str(caught.value)
    assert before == {p.name: p.read_bytes() for p in paths.canonical.rglob("*") if p.is_file()}


def test_unknown_department_inside_a_list(tmp_path, key):
    paths = make_project(tmp_path, events="Date,Name,Depts\n2026-07-04,Party,Police; Sheriff\n")
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    row = caught.value.failures.iloc[0]
    assert (row["source"], row["row"], row["column"]) == ("events", 2, "departments")
    assert "DPD, DFD" in row["check"]


def test_failures_never_echo_a_person_key(tmp_path, key):
    paths = make_project(
        tmp_path,
        calls=(
            "Event,Received,Secs,Dept,Person\nE1,07/01/2026 08:00,5,Police,P1000001\n"
            "E1,07/01/2026 08:00,5,Police,P1000001\n"
        ),
    )
    text = (
        (paths.params / "sources.yml")
        .read_text()
        .replace("unique: [event_id]", "unique: [event_id, person_key]")
    )
    (paths.params / "sources.yml").write_text(text)
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    assert "P1000001" not in str(caught.value)
    assert "P1000001" not in caught.value.failures.to_csv()


def test_every_source_is_validated_before_any_failure_is_raised(tmp_path, key):
    paths = make_project(
        tmp_path,
        calls="Event,Received,Secs,Dept,Person\n",
        events="Date,Name,Depts\nnot a date,Party,Police\n",
    )
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    assert set(caught.value.failures["source"]) == {"calls", "events"}


def test_xlsx_and_parquet_exports(tmp_path, key):
    paths = make_project(tmp_path)
    text = (paths.params / "sources.yml").read_text()
    text = text.replace('files: "events.csv"\n    format: csv', 'files: "events.xlsx"\n    format: xlsx')
    assert "format: xlsx" in text
    (paths.params / "sources.yml").write_text(text)
    frame = pd.DataFrame({"Date": [pd.Timestamp("2026-07-04")], "Name": ["Party"], "Depts": ["Police;Fire"]})
    frame.to_excel(paths.raw / "events.xlsx", index=False)
    (paths.raw / "events.csv").unlink()
    run(paths)
    assert load_canonical(paths, "events")["day"].iloc[0] == date(2026, 7, 4)
    # parquet with native types
    text = text.replace(
        'files: "events.xlsx"\n    format: xlsx', 'files: "events.parquet"\n    format: parquet'
    )
    (paths.params / "sources.yml").write_text(text)
    frame.to_parquet(paths.raw / "events.parquet")
    (paths.raw / "events.xlsx").unlink()
    run(paths)
    assert load_canonical(paths, "events")["departments_count"].iloc[0] == 2


def test_pseudonymise_hashes_each_distinct_value_once():
    values = pd.Series(["a", None, "b", "a"], dtype="str")
    out = pseudonymise(values, b"k", 16)
    assert out.iloc[0] == out.iloc[3] != out.iloc[2]
    assert pd.isna(out.iloc[1])
    assert out.iloc[0] == hmac.new(b"k", b"a", hashlib.sha256).hexdigest()[:16]


def test_canonical_parquet_has_no_pandas_index_or_timestamps(tmp_path, key):
    paths = make_project(tmp_path)
    run(paths)
    metadata = pq.read_metadata(paths.canonical / "calls.parquet")
    assert b"pandas" not in (metadata.metadata or {})  # no pandas index or version metadata


# --------------------------------------------------------------------------------------------
# Encodings, bytes and junk rows, as real exports deliver them


def write_calls(paths: ProjectPaths, data: bytes) -> None:
    target = paths.raw / "calls" / "calls_2026.csv"
    target.write_bytes(data)


def failures_of(paths: ProjectPaths) -> pd.DataFrame:
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    assert not (paths.processed / "canonical").exists()  # nothing written
    return caught.value.failures


def test_utf8_with_a_byte_order_mark_reads_transparently(tmp_path, key):
    paths = make_project(tmp_path)
    write_calls(paths, "\ufeff".encode() + GOOD_CALLS.encode())  # Excel's "CSV UTF-8"
    run(paths)
    assert load_canonical(paths, "calls")["event_id"].tolist() == ["E1", "E2", "E3"]


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-16"])
def test_a_declared_encoding_is_read(tmp_path, key, encoding):
    paths = make_project(tmp_path)
    text = GOOD_CALLS.replace("E2,", "Caf\u00e9-2,")
    write_calls(paths, text.encode(encoding))
    config = paths.params / "sources.yml"
    config.write_text(
        config.read_text().replace("expected: daily", f"expected: daily\n    encoding: {encoding}")
    )
    run(paths)
    assert load_canonical(paths, "calls")["event_id"].tolist() == ["E1", "Caf\u00e9-2", "E3"]


def test_undecodable_bytes_are_located_by_row_and_column(tmp_path, key):
    paths = make_project(tmp_path)
    write_calls(paths, GOOD_CALLS.replace("E2,", "Caf\u00e9-2,").encode("cp1252"))  # declared utf-8
    table = failures_of(paths)
    assert table[["row", "column"]].values.tolist() == [[3, "Event"]]
    assert table.iloc[0]["check"].startswith("cannot be read as utf-8")
    assert "\\xe9" in table.iloc[0]["value"]


def test_nul_and_control_characters_are_located(tmp_path, key):
    paths = make_project(tmp_path)
    write_calls(
        paths, GOOD_CALLS.replace("E3,", "E\x003,").replace("P1000001\nE2", "P10\x1b00001\nE2").encode()
    )
    table = failures_of(paths)
    rows = {(r.row, r.column, r.check) for r in table.itertuples()}
    assert (4, "event_id", "contains a control character (such as NUL): fix the export") in rows
    person = table[table["column"] == "person_key"]
    assert len(person) == 1 and person.iloc[0]["value"] == "(hidden: identifies a person)"


def test_a_number_too_large_for_an_integer_is_a_located_problem(tmp_path, key):
    from helpers.cli.exits import exit_code

    paths = make_project(tmp_path)
    write_calls(paths, GOOD_CALLS.replace(",40,", ",99999999999999999999,").encode())
    table = failures_of(paths)
    assert table[["row", "column", "value"]].values.tolist() == [[3, "seconds", "99999999999999999999"]]
    assert "whole number of at most 18 digits" in table.iloc[0]["check"]
    with pytest.raises(SourceValidationError) as caught:
        run(paths)
    assert exit_code(caught.value) == 2


JUNK = GOOD_CALLS + ",,,,\n"  # every field blank (an export's trailing junk row)


def test_a_junk_row_fails_unless_a_skip_policy_names_it(tmp_path, key):
    paths = make_project(tmp_path, calls=JUNK)
    table = failures_of(paths)
    assert set(table["row"]) == {5}
    config = paths.params / "sources.yml"
    config.write_text(
        config.read_text().replace(
            "unique: [event_id]", "unique: [event_id]\n    skip_rows: {all_blank: [event_id, received_at]}"
        )
    )
    result = run(paths)
    assert len(load_canonical(paths, "calls")) == 3
    assert result.record.sources["calls"].skipped_rows == {"calls/calls_2026.csv": 1}


def test_rows_after_a_skipped_row_keep_their_own_row_numbers(tmp_path, key):
    paths = make_project(
        tmp_path, calls=GOOD_CALLS.replace("E2,", ",,,,\nE2,").replace("E3,07/02", "E3,13/02")
    )
    config = paths.params / "sources.yml"
    config.write_text(
        config.read_text().replace(
            "unique: [event_id]", "unique: [event_id]\n    skip_rows: {all_blank: [event_id, received_at]}"
        )
    )
    table = failures_of(paths)
    assert table[["row", "column"]].values.tolist() == [[5, "received_at"]]  # as the file numbers it


def test_an_unexpected_error_is_an_internal_error_naming_source_and_file(tmp_path, key, monkeypatch):
    from helpers.cli.exits import exit_code
    from helpers.data import finishing
    from helpers.data import ingest as ingest_module

    paths = make_project(tmp_path)

    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(finishing, "_categorical", broken)
    with pytest.raises(ingest_module.IngestInternalError) as caught:
        run(paths)
    message = str(caught.value)
    assert "source 'calls' (file calls/calls_2026.csv)" in message and "a bug" in message
    assert "not a problem in the data" in message and "report" in message
    assert exit_code(caught.value) == 7  # never the data exit code


# --------------------------------------------------------------------------------------------
# One consistent snapshot: the bytes hashed are the bytes read


def test_a_file_replaced_after_it_was_hashed_stops_ingest_before_anything_is_written(tmp_path, key):
    from helpers.data.raw import raw_fingerprint

    paths = make_project(tmp_path)
    config = load_sources(paths.params / "sources.yml")
    before = raw_fingerprint(paths, config)  # what the runner hashed to decide to ingest
    replaced = GOOD_CALLS.replace("E3,07/02/2026 10:15,12", "E3,07/02/2026 10:15,99")
    (paths.raw / "calls" / "calls_2026.csv").write_text(replaced)  # a new export lands meanwhile
    with pytest.raises(SourceValidationError) as caught:
        ingest(paths, config, today=TODAY, fingerprint=before, cache_key={"raw": before})
    problems = caught.value.failures
    assert problems["file"].tolist() == ["calls/calls_2026.csv"]
    assert "changed while the run was reading it" in problems["check"].iloc[0]
    assert not paths.canonical.exists()


def test_the_recorded_hash_is_the_hash_of_the_bytes_the_tables_were_built_from(tmp_path, key):
    from helpers.data.raw import raw_fingerprint

    paths = make_project(tmp_path)
    config = load_sources(paths.params / "sources.yml")
    stale = {name: "0" * 64 for name in raw_fingerprint(paths, config)}
    result = ingest(paths, config, today=TODAY, fingerprint={}, cache_key={"raw": stale, "code": "x"})
    read = hashlib.sha256((paths.raw / "calls" / "calls_2026.csv").read_bytes()).hexdigest()
    assert result.record.raw_fingerprint["calls/calls_2026.csv"] == read
    assert result.record.cache_key == {"raw": result.record.raw_fingerprint, "code": "x"}
    assert result.record.raw_fingerprint == raw_fingerprint(paths, config)
