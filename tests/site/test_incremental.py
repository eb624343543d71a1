"""Which builds may render only the pages that changed: only those whose staged folder differs
from the kept render's in pages of the render list, with the same Quarto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpers.site import incremental
from helpers.site.quarto import copy_late_resources

PAGES = ["archive.qmd", "index.ipynb", "objective-2-2.ipynb", "districts/d3.ipynb"]


def stage(folder: Path, **changes: str) -> Path:
    """A staged folder like the run's: configuration, pages, a data file, an asset."""
    config = {"project": {"type": "website", "render": PAGES, "resources": ["data/*.csv"]}}
    files = {
        "_quarto.yml": yaml.safe_dump(config),
        "data/calls.csv": "month,calls\n2026-07,100\n",
        "site/styles.css": "body {}\n",
        **{page: f"page {page}\n" for page in PAGES},
    }
    for name, text in {**files, **changes}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def quarto(tmp_path) -> str:
    executable = tmp_path / "bin" / "quarto"
    executable.parent.mkdir()
    executable.write_text("#!/bin/sh\n")
    return str(executable)


@pytest.fixture
def kept(tmp_path, quarto) -> Path:
    """A full render kept from the last build."""
    staging = stage(tmp_path / "build" / "site-src")
    (staging / "_site").mkdir()
    (staging / "_site" / "index.html").write_text("<html></html>")
    return incremental.keep(staging, quarto)


def test_only_a_changed_page_is_rendered(tmp_path, kept, quarto):
    staging = stage(tmp_path / "build" / "site-src", **{"districts/d3.ipynb": "edited\n"})
    assert incremental.changed_pages(staging, quarto) == ["districts/d3.ipynb"]


def test_pages_are_rendered_in_the_render_order(tmp_path, kept, quarto):
    staging = stage(tmp_path / "build" / "site-src", **{"objective-2-2.ipynb": "x\n", "archive.qmd": "y\n"})
    assert incremental.changed_pages(staging, quarto) == ["archive.qmd", "objective-2-2.ipynb"]


def test_nothing_changed_means_nothing_to_render(tmp_path, kept, quarto):
    assert incremental.changed_pages(stage(tmp_path / "build" / "site-src"), quarto) == []


@pytest.mark.parametrize(
    "change",
    [
        {"data/calls.csv": "month,calls\n2026-07,101\n"},  # a page's download
        {"site/styles.css": "body { color: black }\n"},  # an asset every page uses
        {"_quarto.yml": "project: {type: website, render: [index.ipynb]}\n"},  # the navigation
        {"data/new.csv": "a\n1\n"},  # a file more
    ],
    ids=["data", "asset", "configuration", "new file"],
)
def test_anything_but_pages_means_a_full_render(tmp_path, kept, quarto, change):
    assert incremental.changed_pages(stage(tmp_path / "build" / "site-src", **change), quarto) is None


def test_another_quarto_or_no_kept_render_means_a_full_render(tmp_path, kept, quarto):
    staging = stage(tmp_path / "build" / "site-src")
    Path(quarto).write_text("#!/bin/sh\n# a newer Quarto\n")
    assert incremental.changed_pages(staging, quarto) is None
    incremental.forget(staging)
    assert incremental.changed_pages(staging, quarto) is None


def test_the_kept_manifest_lists_what_quarto_reads_and_not_its_output(kept):
    files = json.loads((kept / incremental.MANIFEST).read_text())["files"]
    assert "data/calls.csv" in files and "districts/d3.ipynb" in files
    assert not any(name.startswith("_site") for name in files)


def test_a_resource_staged_after_quarto_started_is_published_as_a_plain_render_would(tmp_path):
    staging = stage(tmp_path / "staged")
    (staging / "_site" / "data").mkdir(parents=True)
    (staging / "_site" / "data" / "calls.csv").write_text("as Quarto copied it\n")
    (staging / "data" / "late.csv").write_text("a\n1\n")
    copy_late_resources(staging)
    assert (staging / "_site" / "data" / "late.csv").read_text() == "a\n1\n"
    assert (staging / "_site" / "data" / "calls.csv").read_text() == "as Quarto copied it\n"
    assert not (staging / "_site" / "site").exists()  # only what the project declares
