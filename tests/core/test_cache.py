"""One skip-if-unchanged mechanism for every stage."""

from __future__ import annotations

import pytest

from helpers.core.cache import StepCache, digest


def test_a_stage_is_current_only_for_the_same_key_with_its_outputs_in_place(tmp_path):
    output = tmp_path / "table.parquet"
    cache = StepCache(tmp_path / "_cache_key.json")
    key = {"raw": {"a.csv": "1" * 64}, "code": "abc"}
    assert not cache.is_current(key, output)  # never built
    output.write_text("table")
    cache.store(key)
    assert cache.is_current(key, output)
    assert not cache.is_current({**key, "code": "abd"}, output)  # the code changed
    output.unlink()
    assert not cache.is_current(key, output)  # an output was deleted: build again


def test_a_key_kept_in_a_field_of_the_stages_record_is_written_by_the_stage(tmp_path):
    record = tmp_path / "_ingest.json"
    record.write_text('{"rows": 3, "cache_key": {"raw": {"a.csv": "x"}}}')
    cache = StepCache(record, field="cache_key")
    assert cache.is_current({"raw": {"a.csv": "x"}})
    assert not cache.is_current({"raw": {"a.csv": "y"}})
    with pytest.raises(ValueError, match="the stage writes it"):
        cache.store({"raw": {}})


def test_keys_are_written_atomically_and_compared_as_json(tmp_path):
    from datetime import date

    cache = StepCache(tmp_path / "key.json")
    cache.store({"as_of": date(2026, 10, 15)})
    assert cache.is_current({"as_of": date(2026, 10, 15)})  # dates are compared as written
    assert not list(tmp_path.glob(".*.tmp"))  # no scratch file left behind
    assert digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
