"""The quarterly run on small fixture notebooks: caching, --force, --only, failures, manifest."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml

from helpers.cli import main
from helpers.core.lock import RunLocked
from helpers.core.paths import ProjectPaths
from helpers.core.periods import FiscalQuarter
from helpers.params.pages import report_pages
from helpers.params.settings import load_settings
from helpers.run.runner import NotebookFailed, run_quarter
from helpers.translation.edition import ENGLISH_EDITION, edition

from ..conftest import LATEST, REPO, lock_held_elsewhere, write_fixture_notebooks

pytestmark = pytest.mark.slow

MEASURES = {m.id for m in load_settings(ProjectPaths(REPO)).plan.measures}
# the story's pages, each district's, and each measure's own page (from one template)
ENGLISH_PAGES = {"goal", "2.1", "2.2", "2.3", "about", "districts", "D1", "D2", "D3", "D4", "D5"} | {
    f"measures/{m}" for m in MEASURES
}
ALL_PAGES = ENGLISH_PAGES | {f"es/{page}" for page in ENGLISH_PAGES}  # and the Spanish edition


@pytest.fixture
def tiny_project(project_copy):
    write_fixture_notebooks(project_copy)
    return project_copy


def run(paths, **kwargs):
    return run_quarter(paths, LATEST, workers=2, render=False, **kwargs)


def edit_quarter(paths, change) -> None:
    path = paths.quarter_file(LATEST)
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_second_run_does_no_work_and_force_redoes_it(tiny_project):
    first = run(tiny_project)
    assert set(first.executed) == ALL_PAGES and first.skipped == []
    second = run(tiny_project)
    assert second.executed == [] and set(second.skipped) == ALL_PAGES
    assert second.manifest.validation.status == "skipped"
    forced = run(tiny_project, force=True)
    assert set(forced.executed) == ALL_PAGES


def test_only_runs_the_named_page(tiny_project):
    run(tiny_project)
    result = run(tiny_project, only=["2.1"], force=True)
    assert sorted(result.executed) == ["2.1", "es/2.1"]  # the page, in both editions


def edit_spanish_quarter(paths, change) -> None:
    path = paths.params / "translations" / "es" / "quarters" / f"{LATEST.id}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_a_change_to_one_objective_reruns_only_that_notebook(tiny_project):
    run(tiny_project)
    # A typo fixed in the Spanish text alone reruns the Spanish page alone.
    edit_spanish_quarter(
        tiny_project,
        lambda d: d["initiatives"]["2.21"].update(whats_next="Organizar los eventos de octubre."),
    )
    assert run(tiny_project).executed == ["es/2.2"]
    # New English text, translated and recorded as reviewed, reruns that page in both editions.
    edit_quarter(
        tiny_project,
        lambda d: d["initiatives"]["2.21"].update(
            whats_next="Run the October events and add two winter events."
        ),
    )
    edit_spanish_quarter(
        tiny_project,
        lambda d: d["initiatives"]["2.21"].update(
            whats_next="Organizar los eventos de octubre y añadir dos eventos de invierno."
        ),
    )
    assert main(["--root", str(tiny_project.root), "translations", "--reviewed"]) == 0
    result = run(tiny_project)
    assert sorted(result.executed) == ["2.2", "es/2.2"]
    assert result.manifest.timings_seconds["measures"] < 5  # tables were not rebuilt
    # A status change shows on the goal page too, in both editions.
    edit_quarter(tiny_project, lambda d: d["initiatives"]["2.21"].update(status="in_progress"))
    assert set(run(tiny_project).executed) == {"2.2", "goal", "es/2.2", "es/goal"}


def test_executed_notebooks_are_ready_for_quarto(tiny_project):
    run(tiny_project)
    settings = load_settings(tiny_project)
    spec = next(s for s in report_pages(settings) if s.page == "2.1")
    notebook = nbformat.read(
        ENGLISH_EDITION.executed_notebook(tiny_project, LATEST, spec.output), as_version=4
    )
    front = notebook.cells[0]
    assert front.cell_type == "raw" and front.source.startswith("---\n")
    meta = yaml.safe_load(front.source.strip("-\n"))
    assert meta["title"] == "Objective 2.1: Reduce Harm"
    assert meta["subtitle"] == "Quarterly report: July to September 2026 (FY2027 Q1)"
    assert meta["description"] == load_settings(tiny_project).plan.objective("2.1").summary
    assert not [
        c for c in notebook.cells if c.cell_type == "markdown" and "remove-cell" in c.metadata.get("tags", [])
    ]
    assert all(set(c.metadata) <= {"tags"} for c in notebook.cells)  # no papermill timings
    injected = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "remove-cell" in injected[0].metadata["tags"]
    papermill = notebook.metadata["papermill"]
    assert "input_path" not in papermill and "output_path" not in papermill
    assert papermill["parameters"] == {
        "quarter": "FY2027Q1",
        "params_dir": "../params",
        "processed_dir": "../data/processed",
        "lang": "en",
    }


def test_a_failing_cell_stops_the_quarter_and_keeps_a_private_diagnostic(tiny_project, caplog):
    run(tiny_project)
    settings = load_settings(tiny_project)
    good = {
        s.page: ENGLISH_EDITION.executed_notebook(tiny_project, LATEST, s.output).read_bytes()
        for s in report_pages(settings)
    }
    write_fixture_notebooks(tiny_project, failing_page="2.2")
    with pytest.raises(NotebookFailed) as caught:
        run(tiny_project)
    message = str(caught.value)
    assert "Objective 2.2 (objective-2-2.ipynb) failed in cell 3" in message
    assert 'raise ValueError("the measure table is empty")' in message
    assert "ValueError: the measure table is empty" in message
    kept = tiny_project.diagnostics / "FY2027Q1-objective-2-2-failed.ipynb"
    assert kept.exists() and "never published" in message
    # The last good executed notebooks are untouched.
    for spec in report_pages(settings):
        assert (
            ENGLISH_EDITION.executed_notebook(tiny_project, LATEST, spec.output).read_bytes()
            == good[spec.page]
        )
    manifest = json.loads(tiny_project.manifest(LATEST).read_text())
    assert manifest["status"] == "failed" and "NotebookFailed" in manifest["error"]
    assert main(["--root", str(tiny_project.root), "run", "--no-site"]) == 3
    assert "failed in cell 3" in caplog.text


def test_manifest_records_inputs_versions_parameters_and_durations(tiny_project):
    run(tiny_project)
    manifest = json.loads(tiny_project.manifest(LATEST).read_text())
    assert manifest["quarter"] == "FY2027Q1" and manifest["status"] == "succeeded"
    assert manifest["data_as_of"] == "2026-10-15"
    assert set(manifest["settings"]) == {
        "plan.yml",
        "sources.yml",
        "privacy.yml",
        "prose/explanations.md",
        "open_data.yml",
    }
    assert all(len(h) == 64 for h in manifest["inputs"]["raw"].values())
    assert "cad/cad_events_FY2027.csv" in manifest["inputs"]["raw"]
    assert manifest["validation"]["sources"]["cad_events"]["rows"] > 1_000_000
    measures = manifest["publication"]["measures"]
    assert len(measures) == len(load_settings(tiny_project).plan.measures) and all(
        len(m["csv_sha256"]) == 64 for m in measures.values()
    )
    assert manifest["publication"]["sample_data"] is True
    assert {e["page"] for e in manifest["notebooks"]["executed"]} == ALL_PAGES
    assert all(e["seconds"] > 0 for e in manifest["notebooks"]["executed"])
    assert manifest["parameters"]["workers"] == 2 and manifest["code_version"].startswith("1.0.0+")


def test_one_run_at_a_time(tiny_project):
    with lock_held_elsewhere(tiny_project), pytest.raises(RunLocked, match="in progress"):
        run(tiny_project)


def test_a_failing_notebook_stops_the_early_render_and_publishes_nothing(tiny_project, fake_quarto):
    import time

    write_fixture_notebooks(tiny_project, failing_page="2.2")
    with pytest.raises(NotebookFailed):
        run_quarter(tiny_project, LATEST, workers=2, render=True, force=True)
    assert not tiny_project.site.exists()
    deadline = time.time() + 10
    while time.time() < deadline and _running(fake_quarto):
        time.sleep(0.2)
    assert not _running(fake_quarto), "the early Quarto render was left waiting"
    log = ENGLISH_EDITION.render_log(tiny_project, LATEST).read_text()
    assert "the render was abandoned" in log  # it had started early, and was told to stop
    manifest = json.loads(tiny_project.manifest(LATEST).read_text())
    assert manifest["status"] == "failed"


def _running(executable) -> bool:
    from pathlib import Path

    for proc in Path("/proc").iterdir():
        try:
            if str(executable) in (proc / "cmdline").read_text(errors="ignore") and (
                (proc / "stat").read_text().split()[2] != "Z"
            ):
                return True
        except OSError:
            continue
    return False


def test_a_missing_translation_stops_the_run_unless_the_quarter_publishes_english(project_copy, caplog):
    from helpers.cli import EXIT_CONFIG
    from helpers.params.editions import TranslationMissing

    spanish_quarter = project_copy.params / "translations" / "es" / "quarters" / "FY2027Q1.yml"
    data = yaml.safe_load(spanish_quarter.read_text(encoding="utf-8"))
    del data["initiatives"]["2.21"]["whats_next"]
    spanish_quarter.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(TranslationMissing) as caught:
        run(project_copy, only=["2.2"])
    message = str(caught.value)
    assert "params/translations/es/quarters/FY2027Q1.yml, key 'initiatives.\"2.21\".whats_next'" in message
    assert "translation_pending: publish_english" in message
    assert not project_copy.executed_notebooks(LATEST).exists()  # stopped before any page ran
    assert main(["--root", str(project_copy.root), "run", "--no-site", "--only", "2.2"]) == EXIT_CONFIG

    edit_quarter(project_copy, lambda d: d.update(translation_pending="publish_english"))
    result = run(project_copy, only=["2.2"])
    assert sorted(result.executed) == ["2.2", "es/2.2"]
    assert "published in English" in caplog.text
    spanish_page = project_copy.executed_notebooks(LATEST) / "es" / "objective-2-2.ipynb"
    shown = spanish_page.read_text(encoding="utf-8")
    assert '<span lang=\\"en\\">Run the October events' in shown
    assert '<span class=\\"translation-pending\\">(traducción pendiente)</span>' in shown
    assert "¿Qué sigue?" in shown  # the rest of the page is in Spanish


# --------------------------------------------------------------------------------------------
# Quarters the data cannot support


def write_quarter(paths, quarter: str, data_as_of: str, next_update: str) -> None:
    data = yaml.safe_load(paths.quarter_file(LATEST).read_text())
    data.update(quarter=quarter, data_as_of=data_as_of, next_update=next_update)
    (paths.quarters / f"{quarter}.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    spanish = paths.params / "translations" / "es" / "quarters"
    (spanish / f"{quarter}.yml").write_text((spanish / f"{LATEST.id}.yml").read_text())


def test_a_quarter_with_data_as_of_in_the_future_is_refused_before_anything_is_written(tiny_project, caplog):
    from helpers.cli import EXIT_DATA

    write_quarter(tiny_project, "FY2027Q2", "2099-01-15", "2099-04-30")
    before = sorted(p.relative_to(tiny_project.root) for p in tiny_project.root.rglob("*"))
    assert main(["--root", str(tiny_project.root), "run", "--quarter", "FY2027Q2"]) == EXIT_DATA
    assert "data is as of 2099-01-15, which is in the future" in caplog.text
    after = sorted(p.relative_to(tiny_project.root) for p in tiny_project.root.rglob("*"))
    assert [p for p in after if p not in before and p.name not in {"build", ".run.lock"}] == []


def test_a_quarter_after_the_end_of_every_source_is_refused_naming_them(tiny_project, monkeypatch, caplog):
    import datetime as dt

    from helpers.cli import EXIT_DATA
    from helpers.data import coverage

    class Later(dt.date):
        @classmethod
        def today(cls):
            return dt.date(2027, 2, 1)

    monkeypatch.setattr(coverage, "date", Later)
    write_quarter(tiny_project, "FY2027Q2", "2027-01-15", "2027-04-30")
    assert main(["--root", str(tiny_project.root), "run", "--quarter", "FY2027Q2"]) == EXIT_DATA
    message = caplog.text
    assert "FY2027Q2 ends on 2026-12-31, after the last complete day of every source" in message
    assert "cad_events 2026-09-30" in message and "Load extracts that reach the end" in message
    assert not tiny_project.quarter_dir(FiscalQuarter.parse("FY2027Q2")).exists()
    assert not tiny_project.build_quarter(FiscalQuarter.parse("FY2027Q2")).exists()
    assert main(["--root", str(tiny_project.root), "measures", "--quarter", "FY2027Q2"]) == EXIT_DATA


def test_an_analysis_the_data_cannot_support_is_explained_and_the_quarter_still_runs(project_copy):
    """The worked before/after example, with its event moved after the data: the page says why
    in both editions instead of failing the run."""
    plan = project_copy.params / "plan.yml"
    moved = plan.read_text().replace(
        "{date: 2025-06-01, reason: Civilian", "{date: 2026-08-15, reason: Civilian"
    )
    plan.write_text(moved)
    result = run(project_copy, only=["2.1"])
    assert sorted(result.executed) == ["2.1", "es/2.1"]
    settings = load_settings(project_copy)
    spec = next(s for s in report_pages(settings) if s.page == "2.1")
    for code, words in (
        ("en", "This comparison cannot be made yet. The data end in July to September 2026"),
        (
            "es",
            "Esta comparación todavía no se puede hacer. Los datos terminan en julio a septiembre de 2026",
        ),
    ):
        executed = edition(project_copy.params, code).executed_notebook(project_copy, LATEST, spec.output)
        text = executed.read_text(encoding="utf-8")
        assert words in text, code
        assert 'class=\\"analysis-unavailable\\"' in text


def test_a_run_with_nothing_to_do_never_loads_the_analysis_libraries():
    """The no-op run is budgeted at 2% of a cold build: what it imports to find nothing to do
    must not pull in pandas or matplotlib (about a second here)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import helpers.cli.pipeline, helpers.run.runner, helpers.site.publish\n"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'seaborn', 'pyarrow') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
