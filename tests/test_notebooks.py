"""Notebooks: committed without outputs, thin, parameterised, and passing `pytest --nbval-lax`."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import nbformat
import pytest

from .conftest import LATEST, REPO, clone_project

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED = json.loads((REPO / "tests" / "notebooks" / "expected_outputs.json").read_text())


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs(path):
    for cell in code_cells(path):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_with_literal_working_defaults(path):
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse(tagged[0].source)
    values = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    }
    assert len(values) == len(tree.body), "parameters must be plain literal assignments"
    common = {
        "quarter": "FY2027Q1",
        "params_dir": "../params",
        "processed_dir": "../data/processed",
        "lang": "en",
    }
    # the one notebook of every district page takes the district too (its default runs District
    # 3), and the template of every measure's page its measure (911 calls)
    own = {"district.ipynb": {"district": "D3"}, "measure.ipynb": {"measure": "calls_911"}}
    assert values == {**common, **own.get(path.name, {})}
    assert (path.parent / values["params_dir"] / "plan.yml").exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_stay_thin(path):
    """Cells are a few calls long: logic lives in helpers, text in params; an analysis cell may
    draw a figure in a few lines and publish it with page.figure. The one branch allowed is on
    an analysis result's ``available`` (the data may not support it this quarter), each branch
    held to the same rules."""
    for cell in code_cells(path):
        if "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
        assert calls or isinstance(tree.body[0], ast.Import), cell.source
        branches = [tree.body]
        if len(tree.body) == 1 and isinstance(tree.body[0], ast.If):
            guard = tree.body[0]
            assert isinstance(guard.test, ast.Attribute) and guard.test.attr == "available", cell.source
            branches = [guard.body, guard.orelse]
        for branch in branches:
            assert len(branch) <= 5, f"move logic into helpers: {cell.source[:80]}"
            for node in branch:
                assert isinstance(node, (ast.Expr, ast.Assign, ast.ImportFrom, ast.Import)), cell.source
            if cell.source.startswith("#| output: asis"):
                last = branch[-1]  # the part of the page this cell shows
                assert isinstance(last, ast.Expr), cell.source
                shown = ast.unparse(last)
                assert shown.startswith("page.") or (len(branches) > 1 and shown.startswith("display(page."))


def test_every_checked_cell_has_an_expected_output():
    checked = {
        (p.name, c.id)
        for p in NOTEBOOKS
        for c in code_cells(p)
        if c.source.startswith("# NBVAL_CHECK_OUTPUT")
    }
    assert checked == {(nb, cell) for nb, cells in EXPECTED.items() for cell in cells}
    assert len(checked) >= 4


@pytest.mark.slow
def test_notebooks_pass_nbval_on_the_sample_data(sample_project, tmp_path):
    project = clone_project(sample_project, tmp_path / "nbval")
    for name, cells in EXPECTED.items():
        path = project.notebooks / name
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.get("id") in cells:
                cell.outputs = [nbformat.from_dict(o) for o in cells[cell.id]]
                cell.execution_count = 1  # nbval only compares cells marked as having run
        nbformat.write(notebook, path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(project.root),
            "-o",
            "addopts=",
            *sorted(map(str, project.notebooks.glob("*.ipynb"))),
        ],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


@pytest.mark.slow
@pytest.mark.browser
def test_executed_notebooks_read_well_in_jupyter(executed_project, tmp_path):
    """What an analyst sees opening an executed page notebook: nbconvert's HTML (the same
    renderers as JupyterLab) shows charts as images and tables as tables, never raw HTML, Pandoc
    fences or base64 text."""
    from .browser import SCREENS, browser_skip_reason, chromium, serve

    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    executed = sorted(executed_project.executed_notebooks(LATEST).glob("*.ipynb"))
    assert len(executed) == 5
    for path in executed:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "jupyter",
                "nbconvert",
                "--to",
                "html",
                "--output-dir",
                str(tmp_path),
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    SCREENS.mkdir(parents=True, exist_ok=True)
    with serve(tmp_path) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in executed:
            page.goto(base + path.with_suffix(".html").name, wait_until="networkidle")
            page.evaluate(SCROLL_THROUGH)
            text = page.evaluate("document.body.innerText")
            longest = max((len(run) for run in re.findall(r"\S+", text)), default=0)
            assert longest <= 200, f"{path.name}: a run of {longest} characters without a space"
            assert "{=html}" not in text and "```" not in text, path.name
            assert "<p " not in text and "<figure" not in text and "<details" not in text, path.name
            images = page.evaluate(
                "[...document.images].map(i => [i.className, i.complete && i.naturalWidth > 0])"
            )
            assert all(ok for _, ok in images), f"{path.name}: an image did not load"
            charts = [c for c, _ in images if "chart" in c]
            if path.stem != "about-the-data":
                assert charts, f"{path.name}: no chart shown as an image"
            headings = page.evaluate("document.querySelectorAll('.jp-OutputArea h2, .output_html h2').length")
            assert headings or path.stem == "about-the-data", path.name
            page.screenshot(path=str(SCREENS / f"notebook-{path.stem}.png"), full_page=True)


SCROLL_THROUGH = """async () => {
  for (let y = 0; y < document.body.scrollHeight; y += 700) {
    window.scrollTo(0, y);
    await new Promise(r => setTimeout(r, 20));
  }
  window.scrollTo(0, 0);
}"""
