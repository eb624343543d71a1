"""Per-quarter parameters: every initiative needs a status and a real update."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.core.config import ConfigError
from helpers.core.paths import ProjectPaths
from helpers.params.plan import load_plan
from helpers.params.quarters import available_quarters, latest_quarter, load_quarter

from ..conftest import LATEST, REPO


@pytest.fixture
def project(tmp_path):
    shutil.copytree(REPO / "params", tmp_path / "params")
    return ProjectPaths(tmp_path)


def edit(paths: ProjectPaths, quarter: str, change) -> None:
    path = paths.quarters / f"{quarter}.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_the_sample_quarters_load(project):
    plan = load_plan(project.params / "plan.yml")
    assert [q.id for q in available_quarters(project)] == ["FY2026Q4", "FY2027Q1"]
    assert latest_quarter(project) == LATEST
    params = load_quarter(project, plan, LATEST)
    assert params.initiatives["2.21"].status == "complete_ongoing"
    assert set(params.initiatives) == {i.id for i in plan.initiatives}


def test_unknown_and_missing_initiatives(project):
    plan = load_plan(project.params / "plan.yml")
    edit(project, "FY2027Q1", lambda d: d["initiatives"].update({"2.14": d["initiatives"].pop("2.13")}))
    with pytest.raises(ConfigError) as caught:
        load_quarter(project, plan, LATEST)
    keys = {p.key: p for p in caught.value.problems}
    assert "did you mean 2.13?" in keys["initiatives.2.14"].fix or "2.13" in keys["initiatives.2.14"].fix
    assert "initiatives.2.13" in keys


@pytest.mark.parametrize("placeholder", ["-", "TBD", "  "])
def test_placeholder_updates_are_refused(project, placeholder):
    plan = load_plan(project.params / "plan.yml")
    edit(project, "FY2027Q1", lambda d: d["initiatives"]["2.21"].update(whats_next=placeholder))
    with pytest.raises(ConfigError, match="placeholder"):
        load_quarter(project, plan, LATEST)


def test_dates_must_follow_the_quarter(project):
    plan = load_plan(project.params / "plan.yml")
    edit(project, "FY2027Q1", lambda d: d.update(data_as_of="2026-09-15"))
    with pytest.raises(ConfigError, match="not after the quarter ends"):
        load_quarter(project, plan, LATEST)


def test_bad_status_lists_the_three_statuses(project):
    plan = load_plan(project.params / "plan.yml")
    edit(project, "FY2027Q1", lambda d: d["initiatives"]["2.11"].update(status="done"))
    with pytest.raises(ConfigError) as caught:
        load_quarter(project, plan, LATEST)
    problem = caught.value.problems[0]
    assert problem.key == "initiatives.2.11.status"
    assert "in_progress" in problem.fix and "complete_ongoing" in problem.fix
