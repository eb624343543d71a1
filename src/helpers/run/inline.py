"""Pages from a template notebook executed in the run's own process, without a kernel.

A page per measure (and per edition) would cost a kernel start and a papermill round trip each,
for a template of three short cells. These pages are executed here instead: the template's
cells run in order in a fresh namespace, after an injected parameters cell exactly like
papermill's, and the value of each cell's last expression becomes its output, as Jupyter shows
it. The executed notebook is the same record a kernel would have written, so the site stage
treats it like any other; a failing cell stops the quarter with the page and cell named, and
the failed notebook is kept privately, as papermill's are.
"""

from __future__ import annotations

import ast
import contextlib
import io
import time
import traceback
from pathlib import Path
from typing import Any

from ..core.language import Language
from ..core.periods import FiscalQuarter
from ..params.pages import SitePage
from .executed import NotebookFailed, write_executed


class InlineCellFailed(RuntimeError):
    def __init__(self, position: int, source: str, error: BaseException) -> None:
        self.position, self.source, self.error = position, source, error
        super().__init__(f"cell {position}: {type(error).__name__}: {error}")


def _parameters_cell(parameters: dict[str, Any]) -> Any:
    import nbformat

    lines = ["# Parameters"] + [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    cell.id = "injected-parameters"
    return cell


def _output(value: Any, count: int) -> dict[str, Any] | None:
    """A cell's result as Jupyter records it: the object's MIME bundle, else its repr."""
    import nbformat

    if value is None:
        return None
    if hasattr(value, "_repr_mimebundle_"):
        data, metadata = value._repr_mimebundle_()
    else:
        data, metadata = {"text/plain": repr(value)}, {}
    return nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=count)


def _run_cell(source: str, namespace: dict[str, Any]) -> tuple[Any, str]:
    """Execute one cell; return its last expression's value and what it printed."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(tree, "<cell>", "exec"), namespace)
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None
    return value, printed.getvalue()


def _failed(
    notebook: Any,
    cell: Any,
    exc: Exception,
    spec: SitePage,
    quarter: FiscalQuarter,
    diagnostics: Path,
    shown: int,
) -> NotebookFailed:
    """Keep the failed notebook privately, as papermill's are, and say which cell failed."""
    import nbformat

    error = traceback.format_exception_only(type(exc), exc)
    cell.outputs = [
        nbformat.v4.new_output("error", ename=type(exc).__name__, evalue=str(exc), traceback=error)
    ]
    suffix = "" if spec.edition.is_source else f"-{spec.edition.code}"
    kept = diagnostics / f"{quarter.id}-{spec.output.replace('/', '-')}{suffix}-failed.ipynb"
    kept.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(kept))
    first = next((ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")), "")
    edition = "" if spec.edition.is_source else f", edition '{spec.edition.code}'"
    return NotebookFailed(
        f"{spec.label} ({spec.notebook.name}{edition}) failed in cell {shown} ({first[:80]}): "
        f"{type(exc).__name__}: {exc}\nThe failed notebook is kept, privately, at {kept} (never published)."
    )


def execute_inline(
    spec: SitePage,
    output: Path,
    parameters: dict[str, Any],
    absolute: dict[str, str],
    quarter: FiscalQuarter,
    diagnostics: Path,
    lang: Language,
) -> dict[str, Any]:
    """Execute ``spec``'s template notebook here and write it, prepared for Quarto, to
    ``output``. ``parameters`` are injected as written (relative paths, as papermill's);
    ``absolute`` replaces the paths for this process, whose working folder is not the notebooks'."""
    import nbformat

    started = time.perf_counter()
    notebook = nbformat.read(spec.notebook, as_version=4)
    given = {**parameters, "lang": spec.edition.code}
    position = next(
        (i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])), -1
    )
    notebook.cells.insert(position + 1, _parameters_cell(given))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    count = 0
    shown = 0  # the cell's position as the analyst sees the template in JupyterLab
    for cell in notebook.cells:
        injected = "injected-parameters" in cell.metadata.get("tags", [])
        shown += 0 if injected else 1
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        try:
            value, printed = _run_cell(cell.source, namespace)
        except Exception as exc:  # the analyst's error, reported by page and cell
            raise _failed(notebook, cell, exc, spec, quarter, diagnostics, shown) from None
        if injected:
            namespace.update(absolute)
        outputs = []
        if printed:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=printed))
        result = _output(value, count)
        if result is not None:
            outputs.append(result)
        cell.outputs = outputs
    scratch = output.with_suffix(".running.ipynb")
    return write_executed(notebook, spec, quarter, lang, scratch, output, started)
