"""Template pages executed in the run's own process: the same executed notebook a kernel would
write, and a failing cell named by page and cell with the failed notebook kept privately."""

from __future__ import annotations

import dataclasses

import nbformat
import pytest

from helpers.core.language import ENGLISH
from helpers.core.paths import ProjectPaths
from helpers.params.pages import page_of, report_pages
from helpers.params.settings import load_settings
from helpers.run.inline import execute_inline
from helpers.run.notebooks import NotebookFailed

from ..conftest import LATEST, REPO


def template(tmp_path, cells: list[str]):
    notebook = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('measure = "calls_911"\nlang = "en"')
    params.metadata["tags"] = ["parameters", "remove-cell"]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Analysts' note"), params]
    notebook.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    path = tmp_path / "measure.ipynb"
    nbformat.write(notebook, str(path))
    return path


def spec_for(path):
    settings = load_settings(ProjectPaths(REPO))
    return dataclasses.replace(page_of(report_pages(settings), "measures/calls_911"), notebook=path)


def test_a_template_runs_here_with_its_parameters_and_shows_each_cells_value(tmp_path):
    path = template(tmp_path, ['print("hello")\nanswer = len(measure)', "f'{measure}:{answer}:{where}'"])
    output = tmp_path / "out" / "calls_911.ipynb"
    output.parent.mkdir()
    result = execute_inline(
        spec_for(path),
        output,
        {"quarter": LATEST.id, "where": "../params", "measure": "calls_911"},
        {"where": "/absolute/params"},
        LATEST,
        tmp_path / "diagnostics",
        ENGLISH,
    )
    assert result["page"] == "measures/calls_911" and result["seconds"] >= 0
    executed = nbformat.read(output, as_version=4)
    assert executed.cells[0].cell_type == "raw" and "title:" in executed.cells[0].source  # front matter
    injected = next(c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "remove-cell" in injected.metadata["tags"] and "where = '../params'" in injected.source
    printed, value = executed.cells[-2].outputs, executed.cells[-1].outputs
    assert printed[0]["text"] == "hello\n"
    assert value[0]["data"]["text/plain"] == "'calls_911:9:/absolute/params'"  # paths made absolute here


def test_a_failing_cell_names_the_page_and_the_cell_and_keeps_the_notebook_privately(tmp_path):
    path = template(tmp_path, ["x = 1", "# the page\npage.missing()"])
    with pytest.raises(NotebookFailed) as caught:
        execute_inline(
            spec_for(path),
            tmp_path / "out.ipynb",
            {"quarter": LATEST.id},
            {},
            LATEST,
            tmp_path / "diag",
            ENGLISH,
        )
    message = str(caught.value)
    assert "failed in cell 4 (page.missing())" in message and "NameError" in message
    kept = tmp_path / "diag" / f"{LATEST.id}-measures-calls_911-failed.ipynb"
    assert kept.exists() and str(kept) in message
    assert not (tmp_path / "out.ipynb").exists()  # nothing half-written for the site
