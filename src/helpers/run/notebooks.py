"""Executing the page notebooks: papermill in warm kernels, only the pages whose inputs changed.

A notebook is re-executed only when the checksum over its inputs changes: the notebook source,
its slice of the quarter's parameters, the processed tables it reads, the settings files and the
helpers code (OWID's ``is_dirty`` discipline, ``helpers.cache``). A failing cell stops the
quarter: the failed notebook goes to a private diagnostics folder and nothing is published.
Each executed notebook gets Quarto front matter and loses papermill's local paths.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.cache import StepCache, digest, file_sha256, helpers_code_hash
from ..core.language import Language
from ..core.periods import FiscalQuarter
from ..params.editions import EditionReport, edition_reports
from ..params.pages import (
    ABOUT_PAGE,
    SitePage,
    page_measures,
    page_of,
    page_params_fingerprint,
)
from ..params.quarters import QuarterParams, read_publication
from ..params.settings import Settings
from .executed import NotebookFailed, page_key, prepare_for_quarto, write_executed
from .inline import execute_inline

__all__ = ["NotebookFailed", "execute_notebooks", "notebook_inputs", "page_key", "prepare_for_quarto"]

if TYPE_CHECKING:
    from .kernels import KernelPool

log = logging.getLogger("helpers.notebooks")


def notebook_inputs(
    settings: Settings, spec: SitePage, quarter: FiscalQuarter, params: QuarterParams
) -> dict[str, Any]:
    """Everything a page's notebook depends on, as hashes (the cache key is their digest).
    ``settings`` and ``params`` are in the page's edition."""
    paths = settings.paths
    folder = paths.quarter_dir(quarter)
    publication = read_publication(paths, quarter)
    measures: dict[str, Any] = {}
    district_page = spec.kind in {"districts", "district"}
    for measure_id in page_measures(settings, spec.page):
        table = folder / ("districts" if district_page else "measures") / f"{measure_id}.parquet"
        status = publication.measures.get(measure_id) if publication else None
        measures[measure_id] = {
            "table": file_sha256(table) if table.exists() else None,
            "status": status.model_dump(mode="json") if status else None,
        }
    if district_page:  # the city's rows too, and the districts' shapes and residents
        for measure_id in page_measures(settings, spec.page):
            table = folder / "measures" / f"{measure_id}.parquet"
            measures[f"{measure_id} (city)"] = file_sha256(table) if table.exists() else None
        for area in sorted(paths.canonical.glob("areas/*.parquet")):
            measures[f"areas/{area.name}"] = file_sha256(area)
    if spec.page == ABOUT_PAGE:
        record = paths.publication(quarter)
        measures = {"publication": file_sha256(record) if record.exists() else None}
    if spec.measure is not None:  # the page lists the frozen copies the archive holds of it
        name = f"{spec.edition.prefix}{spec.output}.html"
        # this quarter's copy is always listed
        measures["archived"] = [q.id for q in paths.archived_with(name) if q != quarter]
    return {
        "quarter": quarter.id,
        "lang": spec.edition.code,
        "parameters": spec.parameters,
        "notebook": file_sha256(spec.notebook),
        "params": digest(page_params_fingerprint(params, settings, spec.page)),
        "settings": settings.file_hashes(),
        "translations": settings.edition_fingerprint(),
        "measures": measures,
        "sample_data": publication.sample_data if publication else None,
        "helpers": helpers_code_hash(),
    }


def notebook_cache(settings: Settings, spec: SitePage, quarter: FiscalQuarter) -> StepCache:
    return StepCache(spec.edition.notebook_cache(settings.paths, quarter, spec.output))


# --------------------------------------------------------------------------------------------
# One notebook


def execute_page(
    spec: SitePage,
    output: Path,
    parameters: dict[str, Any],
    quarter: FiscalQuarter,
    diagnostics: Path,
    timeout: int,
    kernel: Any,
    lang: Language,
) -> dict[str, Any]:
    """Run one notebook with papermill in a warm ``kernel``; on failure keep the failed notebook
    as a private diagnostic and raise ``NotebookFailed``."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.WARNING)
    started = time.perf_counter()
    scratch = output.with_suffix(".running.ipynb")
    try:
        pm.execute_notebook(
            str(spec.notebook),
            str(scratch),
            parameters={**parameters, "lang": spec.edition.code},  # the notebook's parameter
            kernel_name="python3",
            km=kernel,  # started in the notebooks folder, as papermill's cwd= would
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            report_mode=False,
            # Written once at the end (and on failure, with the error), not after every cell:
            # page parts carry their charts, so each save rewrites the whole growing notebook.
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        suffix = "" if spec.edition.is_source else f"-{spec.edition.code}"
        kept = diagnostics / f"{quarter.id}-{spec.output.replace('/', '-')}{suffix}-failed.ipynb"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if scratch.exists():
            shutil.move(scratch, kept)
        position, source = _failed_cell(kept) if kept.exists() else (None, "")
        where = f"cell {position}" if position else f"execution {exc.exec_count or '?'}"
        edition = "" if spec.edition.is_source else f", edition '{spec.edition.code}'"
        raise NotebookFailed(
            f"{spec.label} ({spec.notebook.name}{edition}) failed in {where}"
            f"{f' ({source})' if source else ''}: {exc.ename}: {exc.evalue}\n"
            f"The failed notebook is kept, privately, at {kept} (never published)."
        ) from None
    return write_executed(nbformat.read(scratch, as_version=4), spec, quarter, lang, scratch, output, started)


def _failed_cell(path: Path) -> tuple[int | None, str]:
    """Position of the failing cell in the *source* notebook (as the analyst sees it), and its
    first line of code. papermill's injected parameters cell is not counted."""
    import nbformat

    try:
        cells = nbformat.read(path, as_version=4).cells
    except (OSError, ValueError):
        return None, ""
    position = 0
    for cell in cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        position += 1
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")]
            return position, (lines[0][:80] if lines else "")
    return None, ""


# --------------------------------------------------------------------------------------------
# Every page that needs it


def execute_notebooks(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    only: list[str] | None,
    force: bool,
    workers: int,
    timeout: int = 900,
    on_start: Callable[[], KernelPool | None] | None = None,
    on_done: Callable[[SitePage], None] | None = None,
    reports: list[EditionReport] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Execute the pages (of every edition) whose inputs changed, ``workers`` at a time in warm
    kernels; raise ``NotebookFailed`` naming every page that failed. ``on_start`` is called when
    there is a notebook to execute, before the first one starts; it may return the kernels to
    use. ``on_done`` hears of each page whose executed notebook is ready (unchanged ones first).
    Each edition's pages run in turn page by page (goal, then es/goal...), so that every
    edition's render can go on while the others execute."""
    reports = reports if reports is not None else edition_reports(settings, params)
    jobs = _jobs(reports, only)
    inputs = {page_key(s): notebook_inputs(r.settings, s, quarter, r.params) for r, s in jobs}
    todo, skipped = [], []
    for report, spec in jobs:
        output = spec.edition.executed_notebook(settings.paths, quarter, spec.output)
        if not force and notebook_cache(settings, spec, quarter).is_current(inputs[page_key(spec)], output):
            skipped.append(page_key(spec))
            log.info("notebook %-14s unchanged, skipped", page_key(spec))
        else:
            todo.append((report, spec))
    if not todo:
        return [], skipped
    provided = on_start() if on_start else None
    for _, spec in jobs:
        if on_done and page_key(spec) in skipped:
            on_done(spec)
    in_kernels = [job for job in todo if not job[1].in_process]
    pool = provided
    if pool is None and in_kernels:
        from .kernels import KernelPool  # jupyter_client is loaded only when there is work to do

        pool = KernelPool(max(1, min(workers, len(in_kernels))), settings.paths.notebooks).start()
    log.info(
        "executing %d notebook(s) in %d kernel(s) and %d page(s) from templates in this process",
        len(in_kernels),
        pool.size if pool and in_kernels else 0,
        len(todo) - len(in_kernels),
    )
    try:
        results = _execute_all(settings, quarter, pool, todo, inputs, timeout, on_done)
    finally:
        if provided is None and pool is not None:
            pool.shutdown()
    return results, skipped


def _jobs(reports: list[EditionReport], only: list[str] | None) -> list[tuple[EditionReport, SitePage]]:
    """The pages to consider, page by page across the editions (an unknown page in ``only``
    says which pages there are)."""
    for page in only or []:
        page_of(reports[0].pages, page)
    return [
        (report, report.pages[index])
        for index in range(len(reports[0].pages))
        for report in reports
        if not only or report.pages[index].page in only
    ]


def _page_runner(
    settings: Settings, quarter: FiscalQuarter, pool: KernelPool | None, timeout: int
) -> Callable[[EditionReport, SitePage], dict[str, Any]]:
    """How one page is executed: a template page here, any other in one of the pool's kernels,
    with papermill's parameters (paths relative to the notebooks, as an analyst's are)."""
    paths = settings.paths
    parameters = {
        "quarter": quarter.id,
        "params_dir": os.path.relpath(paths.params, paths.notebooks),
        "processed_dir": os.path.relpath(paths.processed, paths.notebooks),
    }
    absolute = {"params_dir": str(paths.params), "processed_dir": str(paths.processed)}

    def run(report: EditionReport, spec: SitePage) -> dict[str, Any]:
        output = spec.edition.executed_notebook(paths, quarter, spec.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        own = {**parameters, **spec.parameters}
        language = report.edition.language
        if spec.in_process:
            return execute_inline(spec, output, own, absolute, quarter, paths.diagnostics, language)
        assert pool is not None
        with pool.kernel() as kernel:
            return execute_page(spec, output, own, quarter, paths.diagnostics, timeout, kernel, language)

    return run


def _execute_all(
    settings: Settings,
    quarter: FiscalQuarter,
    pool: KernelPool | None,
    todo: list[tuple[EditionReport, SitePage]],
    inputs: dict[str, dict[str, Any]],
    timeout: int,
    on_done: Callable[[SitePage], None] | None,
) -> list[dict[str, Any]]:
    """Every page of ``todo`` in the pool's kernels; a page that fails stops none of the others,
    and ``NotebookFailed`` names every failure at the end."""
    run = _page_runner(settings, quarter, pool, timeout)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    kernels = pool.size if pool is not None else 1
    # Template pages run one at a time in this process (charts are drawn here), beside the kernels.
    with (
        ThreadPoolExecutor(max_workers=kernels, thread_name_prefix="notebook") as threads,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="template") as here,
    ):
        futures = {
            (here if spec.in_process else threads).submit(run, report, spec): spec for report, spec in todo
        }
        for done, future in enumerate(as_completed(futures), start=1):
            spec = futures[future]
            try:
                result = future.result()
            except NotebookFailed as exc:
                failures.append(str(exc))
                log.error("notebook %-14s FAILED", page_key(spec))
                continue
            notebook_cache(settings, spec, quarter).store(inputs[page_key(spec)])
            results.append(result)
            log.info(
                "[%d/%d] notebook %-14s executed in %.1fs", done, len(todo), page_key(spec), result["seconds"]
            )
            if on_done and not failures:
                on_done(spec)
    if failures:
        raise NotebookFailed("\n".join(failures))
    return results
