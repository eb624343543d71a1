"""Source definitions: the bundled sources.yml, and errors in new mappings."""

from __future__ import annotations

import pytest

from helpers.core.config import ConfigError
from helpers.params.plan import check_plan_against_sources, load_plan
from helpers.params.sources import load_sources

from ..conftest import REPO, edited_params


def test_the_bundled_sources_cover_the_canonical_contract():
    config = load_sources(REPO / "params" / "sources.yml")
    assert set(config.sources) == {
        "cad_events",
        "crime_incidents",
        "staffing_snapshots",
        "recruitment_applications",
        "joint_events",
        "tutoring_sessions",
        "webpage_views",
    }
    cad = config.sources["cad_events"].canonical_columns()
    assert {
        "event_id",
        "received_at",
        "seconds_to_answer",
        "call_type",
        "agency",
        "disposition",
        "person_key",
        "district",
    } <= cad
    assert config.sources["cad_events"].columns["person_key"].identifies_person
    assert config.sources["joint_events"].canonical_columns() >= {"departments", "departments_count"}
    formats = {s.format for s in config.sources.values()}
    assert formats == {"csv", "xlsx", "parquet"}
    check_plan_against_sources(
        load_plan(REPO / "params" / "plan.yml"), "params/plan.yml", config.columns_by_source()
    )


def test_a_column_needs_an_origin(tmp_path):
    path = edited_params(
        "sources.yml", tmp_path, lambda d: d["sources"]["cad_events"]["columns"]["call_type"].pop("from")
    )
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    problem = caught.value.problems[0]
    assert problem.key.startswith("sources.cad_events.columns.call_type")
    assert "from" in problem.fix


def test_the_date_column_must_be_a_date(tmp_path):
    path = edited_params(
        "sources.yml", tmp_path, lambda d: d["sources"]["crime_incidents"].update(date_column="offence")
    )
    with pytest.raises(ConfigError, match="must have type date or datetime"):
        load_sources(path)


def test_a_measure_reading_a_missing_column_is_caught(tmp_path):
    path = edited_params(
        "sources.yml", tmp_path, lambda d: d["sources"]["cad_events"]["columns"].pop("disposition")
    )
    with pytest.raises(ConfigError) as caught:
        check_plan_against_sources(
            load_plan(REPO / "params" / "plan.yml"), "params/plan.yml", load_sources(path).columns_by_source()
        )
    assert "disposition" in str(caught.value) and "no_fault_crashes" in str(caught.value)


def test_familiar_neighbors_count_people_only_by_a_pseudonymised_column(tmp_path):
    path = edited_params(
        "sources.yml",
        tmp_path,
        lambda d: d["sources"]["cad_events"]["columns"]["person_key"].update(identifies_person=False),
    )
    config = load_sources(path)
    plan = load_plan(REPO / "params" / "plan.yml")
    with pytest.raises(ConfigError) as caught:
        check_plan_against_sources(
            plan, "params/plan.yml", config.columns_by_source(), None, config.person_columns()
        )
    problem = caught.value.problems[0]
    assert problem.key.endswith("(id=fn_interactions).familiar.person")
    assert "not marked identifies_person" in problem.problem and "pseudonymised" in problem.problem
