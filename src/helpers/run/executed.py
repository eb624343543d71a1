"""An executed page notebook as the site stage takes it, whoever executed it (papermill in a
kernel, or the template runner in this process): its name in logs, the error a failing cell
raises, and the preparation for Quarto."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.language import Language
from ..core.periods import FiscalQuarter
from ..params.pages import SitePage, front_matter

if TYPE_CHECKING:
    import nbformat


class NotebookFailed(RuntimeError):
    """A cell raised; the message names the page, the cell and the error."""


def page_key(spec: SitePage) -> str:
    """How runs and logs name a page of an edition: ``2.1``, ``es/2.1``."""
    return spec.edition.page_key(spec.page)


def prepare_for_quarto(
    notebook: nbformat.NotebookNode, spec: SitePage, quarter: FiscalQuarter, lang: Language
) -> nbformat.NotebookNode:
    """Add the front matter cell, hide papermill's injected cell, drop local paths.

    Quarto honours ``remove-cell`` on code cells only, so tagged Markdown cells (notes for
    analysts) are dropped here. Cell metadata other than tags is dropped too: Quarto forwards
    unknown keys (papermill's timings) as attributes of a wrapping div, which would hide the
    page's headings from its table of contents.
    """
    import nbformat

    notebook.cells = [
        c
        for c in notebook.cells
        if not (c.cell_type == "markdown" and "remove-cell" in c.metadata.get("tags", []))
    ]
    for cell in notebook.cells:
        cell.metadata = nbformat.NotebookNode({k: v for k, v in cell.metadata.items() if k == "tags"})
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    front = nbformat.v4.new_raw_cell(front_matter(spec, quarter, lang))
    front.id = "front-matter"
    notebook.cells.insert(0, front)
    papermill = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        papermill.pop(key, None)
    return notebook


def write_executed(
    notebook: nbformat.NotebookNode,
    spec: SitePage,
    quarter: FiscalQuarter,
    lang: Language,
    scratch: Path,
    output: Path,
    started: float,
) -> dict[str, Any]:
    """Prepare an executed notebook for Quarto and put it in place (written beside the output,
    then renamed: an early render never reads half a notebook); the run's record of the page."""
    import nbformat

    nbformat.write(prepare_for_quarto(notebook, spec, quarter, lang), str(scratch))
    os.replace(scratch, output)
    return {
        "page": page_key(spec),
        "lang": spec.edition.code,
        "seconds": round(time.perf_counter() - started, 3),
    }
