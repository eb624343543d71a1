"""The plan: titles from the City's page, typed objects, and errors an analyst can act on."""

import re

import pytest

from helpers.core.config import ConfigError
from helpers.params.plan import load_plan

from ..conftest import REPO, edited_params

SEED = REPO.parent / "shared" / "reference" / "seed-durham-goal2-page.txt"


@pytest.fixture
def plan():
    return load_plan(REPO / "params" / "plan.yml")


def test_goal_objectives_and_initiatives(plan):
    assert plan.goal.title == "Create a Safer Community Together"
    assert [o.id for o in plan.objectives] == ["2.1", "2.2", "2.3"]
    assert [i.id for i in plan.initiatives] == [
        "2.11",
        "2.12",
        "2.13",
        "2.21",
        "2.22",
        "2.23",
        "2.31",
        "2.32",
        "2.33",
    ]
    assert plan.objective("2.2").title == "Build Trust between Neighbors and Public Safety Providers"


@pytest.mark.skipif(not SEED.exists(), reason="../shared/reference is not present")
def test_titles_match_the_citys_page_exactly(plan):
    seed = SEED.read_text()
    for objective in plan.objectives:
        assert f"Objective: {objective.id} {objective.title}" in seed
    for initiative in plan.initiatives:
        assert f"Initiative: {initiative.id} {initiative.title}" in seed, initiative.id


def test_every_measure_is_fully_described(plan):
    for measure in plan.measures:
        assert measure.definition and measure.method and measure.source and measure.value_label
    assert plan.measure("calls_911_answered_15s").target.value == 90
    assert plan.measure("fn_repeat_bands").familiar.bands == [5, 10, 20, 40]
    # Initiatives without a local measure explain why.
    assert not plan.initiative("2.12").measures and plan.initiative("2.12").no_measure_note
    assert not plan.initiative("2.33").measures and plan.initiative("2.33").no_measure_note


def test_unknown_measure_reference_names_the_initiative(tmp_path):
    path = edited_params(
        "plan.yml", tmp_path, lambda d: d["objectives"][0]["initiatives"][2]["measures"].append("no_such")
    )
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    assert "initiative 2.13 lists 'no_such'" in str(caught.value)
    assert "Fix:" in str(caught.value)


def test_initiative_under_the_wrong_objective(tmp_path):
    def move(d):
        d["objectives"][1]["initiatives"].append(d["objectives"][0]["initiatives"].pop(0))

    with pytest.raises(ConfigError, match=re.escape("initiative 2.11 is listed under objective 2.2")):
        load_plan(edited_params("plan.yml", tmp_path, move))


def test_initiative_without_measure_must_explain(tmp_path):
    path = edited_params(
        "plan.yml", tmp_path, lambda d: d["objectives"][0]["initiatives"][1].pop("no_measure_note")
    )
    with pytest.raises(ConfigError, match="no_measure_note"):
        load_plan(path)


def test_wrong_unit_lists_the_allowed_values(tmp_path):
    path = edited_params("plan.yml", tmp_path, lambda d: d["measures"][0].update(unit="positons"))
    with pytest.raises(ConfigError) as caught:
        load_plan(path)
    problem = caught.value.problems[0]
    assert problem.key == "measures[0] (id=staffing).unit"
    assert "positions" in problem.fix and problem.line is not None
