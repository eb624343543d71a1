"""The quarterly run: ingest when raw data changed, build the quarter's tables, execute the
notebooks with papermill (in parallel, skipping those whose inputs did not change), then hand over
to the site build. One command, idempotent, all or nothing, with a manifest of what ran.

A notebook is re-executed only when the checksum over its inputs changes: the notebook source,
its slice of the quarter's parameters, the processed tables it reads, the settings files and the
helpers code (OWID's ``is_dirty`` discipline). A failing cell stops the quarter: the failed
notebook goes to a private diagnostics folder and nothing is published.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import __version__
from .pages import ABOUT_PAGE, PageSpec, UnknownPage, page_measures, page_params_fingerprint, report_pages
from .paths import ProjectPaths
from .periods import FiscalQuarter
from .quarters import PUBLICATION, QuarterParams, load_quarter, read_publication
from .settings import Settings, load_settings
from .sources import file_sha256, raw_fingerprint, read_ingest_record

if TYPE_CHECKING:
    import nbformat

    from .kernels import KernelPool

log = logging.getLogger("helpers.runner")

INPUTS_SUFFIX = ".inputs.json"


class NotebookFailed(RuntimeError):
    """A cell raised; the message names the page, the cell and the error."""


class RunLocked(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------
# Fingerprints


def helpers_code_hash() -> str:
    """SHA-256 over the helpers package source: a code change invalidates every cache."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def code_version(paths: ProjectPaths) -> str:
    """``<package version>+<git commit>[-dirty]``, or the code hash outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=paths.root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
        return f"{__version__}+{commit}{'-dirty' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return f"{__version__}+code.{helpers_code_hash()[:12]}"


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def notebook_inputs(
    settings: Settings, spec: PageSpec, quarter: str, params: QuarterParams
) -> dict[str, Any]:
    """Everything a page's notebook depends on, as hashes (the cache key is their digest)."""
    folder = settings.paths.quarter_dir(quarter)
    publication = read_publication(settings.paths, quarter) or {}
    measures = {}
    for measure_id in page_measures(settings, spec.page):
        table = folder / "measures" / f"{measure_id}.parquet"
        measures[measure_id] = {
            "table": file_sha256(table) if table.exists() else None,
            "status": publication.get("measures", {}).get(measure_id),
        }
    if spec.page == ABOUT_PAGE:
        measures = {
            "publication": file_sha256(folder / PUBLICATION) if (folder / PUBLICATION).exists() else None
        }
    return {
        "quarter": quarter,
        "notebook": file_sha256(spec.notebook),
        "params": _digest(page_params_fingerprint(params, settings, spec.page)),
        "settings": settings.file_hashes(),
        "measures": measures,
        "sample_data": publication.get("sample_data"),
        "helpers": helpers_code_hash(),
    }


# --------------------------------------------------------------------------------------------
# Executing one notebook (in a worker process)


def front_matter(spec: PageSpec, quarter: FiscalQuarter) -> str:
    """The Quarto front matter of a page: title, subtitle, description, browser tab title."""
    meta = {
        "title": spec.title,
        "subtitle": f"Quarterly report: {quarter.long_label}",
        "description": spec.description,
        "pagetitle": f"{spec.title} | {quarter.label}",
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---"


def prepare_for_quarto(
    notebook: nbformat.NotebookNode, spec: PageSpec, quarter: FiscalQuarter
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
    front = nbformat.v4.new_raw_cell(front_matter(spec, quarter))
    front.id = "front-matter"
    notebook.cells.insert(0, front)
    papermill = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        papermill.pop(key, None)
    return notebook


def execute_page(
    spec: PageSpec,
    output: Path,
    parameters: dict[str, Any],
    quarter: FiscalQuarter,
    diagnostics: Path,
    timeout: int,
    kernel: Any,
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
            parameters=parameters,
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
        kept = diagnostics / f"{quarter.id}-{spec.output}-failed.ipynb"
        kept.parent.mkdir(parents=True, exist_ok=True)
        if scratch.exists():
            shutil.move(scratch, kept)
        position, source = _failed_cell(kept) if kept.exists() else (None, "")
        where = f"cell {position}" if position else f"execution {exc.exec_count or '?'}"
        raise NotebookFailed(
            f"{spec.label} ({spec.notebook.name}) failed in {where}"
            f"{f' ({source})' if source else ''}: {exc.ename}: {exc.evalue}\n"
            f"The failed notebook is kept, privately, at {kept} (never published)."
        ) from None
    executed = prepare_for_quarto(nbformat.read(scratch, as_version=4), spec, quarter)
    nbformat.write(executed, str(scratch))
    os.replace(scratch, output)
    return {"page": spec.page, "seconds": round(time.perf_counter() - started, 2)}


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
# The run


@dataclass
class RunResult:
    quarter: str
    manifest: dict[str, Any]
    executed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    site: str = "not attempted"


@contextlib.contextmanager
def run_lock(paths: ProjectPaths) -> Iterator[None]:
    """One run at a time: a scheduled run and an analyst's run must not interleave."""
    paths.build.mkdir(parents=True, exist_ok=True)
    handle = (paths.build / ".run.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RunLocked(
            "Another report run is in progress (build/.run.lock is held). "
            "Wait for it to finish, then run again."
        ) from None
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def ensure_ingested(
    settings: Settings, code: str, force: bool = False, on_work: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Ingest only when the raw files, sources.yml or the code changed (``on_work`` is told
    first, so that the runner can start its kernels alongside)."""
    record = read_ingest_record(settings.paths)
    wanted = {
        "raw": raw_fingerprint(settings.paths, settings.sources),
        "sources": settings.file_hashes()["sources.yml"],
        "code": code,
    }
    if not force and record and record.get("cache_key") == wanted:
        log.info("ingest: raw data unchanged, skipped")
        return {"status": "skipped", **record}
    if on_work:
        on_work()
    from .ingest import ingest  # pandas and pandera are loaded only when there is work to do

    started = time.perf_counter()
    result = ingest(settings.paths, settings.sources, code_version=code, fingerprint=wanted["raw"])
    record = result.record
    record["cache_key"] = wanted
    write_atomic(settings.paths.canonical / "_ingest.json", record)
    log.info(
        "ingest: %d sources validated and written in %.1fs",
        len(record["sources"]),
        time.perf_counter() - started,
    )
    return {"status": "ingested", **record}


def ensure_measures(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    code: str,
    force: bool = False,
    on_work: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Rebuild the quarter's gated tables only when their inputs changed."""
    paths = settings.paths
    canonical = {p.name: file_sha256(p) for p in sorted(paths.canonical.glob("*.parquet"))}
    previous = paths.quarter_dir(quarter.previous().id) / PUBLICATION
    wanted = {
        "canonical": canonical,
        "settings": settings.file_hashes(),
        # Only these quarter-file fields reach the tables; narrative edits must not rebuild them.
        "quarter_params": _digest(
            {
                "if_stale": params.if_stale,
                "data_as_of": params.data_as_of.isoformat(),
                "next_update": params.next_update.isoformat(),
            }
        ),
        "previous_publication": file_sha256(previous) if previous.exists() else None,
        "code": code,
    }
    key_path = paths.quarter_dir(quarter.id) / "_cache_key.json"
    if (
        not force
        and key_path.exists()
        and json.loads(key_path.read_text()) == wanted
        and (paths.quarter_dir(quarter.id) / PUBLICATION).exists()
    ):
        log.info("measures %s: inputs unchanged, skipped", quarter.id)
        return {"status": "skipped", **(read_publication(paths, quarter.id) or {})}
    if on_work:
        on_work()
    from .measures import build_quarter

    started = time.perf_counter()
    build_quarter(settings, quarter, params, code_version=code)
    write_atomic(key_path, wanted)
    log.info(
        "measures %s: %d measures computed and gated in %.1fs",
        quarter.id,
        len(settings.plan.measures),
        time.perf_counter() - started,
    )
    return {"status": "built", **(read_publication(paths, quarter.id) or {})}


def executed_path(paths: ProjectPaths, quarter: str, spec: PageSpec) -> Path:
    return paths.build_quarter(quarter) / "notebooks" / f"{spec.output}.ipynb"


def page_is_current(settings: Settings, spec: PageSpec, quarter: str, params: QuarterParams) -> bool:
    output = executed_path(settings.paths, quarter, spec)
    stamp = output.with_name(output.stem + INPUTS_SUFFIX)
    if not output.exists() or not stamp.exists():
        return False
    return json.loads(stamp.read_text()) == notebook_inputs(settings, spec, quarter, params)


def execute_notebooks(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams,
    only: list[str] | None,
    force: bool,
    workers: int,
    timeout: int = 900,
    on_start: Callable[[], KernelPool | None] | None = None,
    on_done: Callable[[PageSpec], None] | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Execute the pages whose inputs changed, ``workers`` at a time in warm kernels; raise
    ``NotebookFailed`` naming every page that failed. ``on_start`` is called when there is a
    notebook to execute, before the first one starts; it may return the kernels to use.
    ``on_done`` hears of each page whose executed notebook is ready (unchanged ones first)."""
    paths = settings.paths
    pages = report_pages(settings)
    if only:
        unknown = [p for p in only if p not in {s.page for s in pages}]
        if unknown:
            raise UnknownPage(
                f"--only {', '.join(unknown)}: not a page; choose from {', '.join(s.page for s in pages)}"
            )
        pages = [s for s in pages if s.page in only]
    todo, skipped = [], []
    for spec in pages:
        if not force and page_is_current(settings, spec, quarter.id, params):
            skipped.append(spec.page)
            log.info("notebook %-14s unchanged, skipped", spec.page)
        else:
            todo.append(spec)
    results: list[dict[str, Any]] = []
    if not todo:
        return results, skipped
    out_dir = paths.build_quarter(quarter.id) / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    parameters = {
        "quarter": quarter.id,
        "params_dir": os.path.relpath(paths.params, paths.notebooks),
        "processed_dir": os.path.relpath(paths.processed, paths.notebooks),
    }
    inputs = {s.page: notebook_inputs(settings, s, quarter.id, params) for s in todo}
    from .kernels import KernelPool  # jupyter_client is loaded only when there is work to do

    provided = on_start() if on_start else None
    for spec in pages:
        if on_done and spec.page in skipped:
            on_done(spec)
    workers = max(1, min(workers, len(todo)))
    pool = provided or KernelPool(workers, paths.notebooks)
    log.info("executing %d notebook(s) in %d kernel(s)", len(todo), pool.size)

    def run(spec: PageSpec) -> dict[str, Any]:
        with pool.kernel() as kernel:
            return execute_page(
                spec,
                executed_path(paths, quarter.id, spec),
                parameters,
                quarter,
                paths.diagnostics,
                timeout,
                kernel,
            )

    failures: list[str] = []
    try:
        with ThreadPoolExecutor(max_workers=pool.size, thread_name_prefix="notebook") as threads:
            futures = {threads.submit(run, spec): spec for spec in todo}
            for done, future in enumerate(as_completed(futures), start=1):
                spec = futures[future]
                try:
                    result = future.result()
                except NotebookFailed as exc:
                    failures.append(str(exc))
                    log.error("notebook %-14s FAILED", spec.page)
                    continue
                output = executed_path(paths, quarter.id, spec)
                write_atomic(output.with_name(output.stem + INPUTS_SUFFIX), inputs[spec.page])
                results.append(result)
                if on_done and not failures:
                    on_done(spec)
                log.info(
                    "[%d/%d] notebook %-14s executed in %.1fs", done, len(todo), spec.page, result["seconds"]
                )
    finally:
        if provided is None:
            pool.shutdown()
    if failures:
        raise NotebookFailed("\n".join(failures))
    return results, skipped


def summarise_data(manifest: dict[str, Any]) -> None:
    """Say in the run's log what the published figures rest on: rows dropped by a skip policy,
    and sources that do not cover the whole quarter (their gaps are shown on the site)."""
    for name, info in manifest.get("validation", {}).get("sources", {}).items():
        dropped = sum((info.get("skipped_rows") or {}).values())
        if dropped:
            log.warning("source %s: %d junk row(s) skipped by its skip_rows policy", name, dropped)
    for name, coverage in manifest.get("publication", {}).get("coverage", {}).items():
        if coverage.get("status") != "complete":
            gaps = "; ".join(f"{a} to {b}" for a, b in coverage.get("gaps", [])[:3])
            log.warning(
                "source %s is %s for the quarter: %d of %d %ss have records (gaps: %s)",
                name,
                "incomplete" if coverage["status"] == "partial" else "missing",
                coverage["covered"],
                coverage["expected"],
                coverage["unit"],
                gaps,
            )


def _import_ahead() -> None:
    """Import what the next stages need in the background, while the raw files are hashed."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from . import ingest, measures  # noqa: F401 - pandas, pyarrow and pandera


def write_atomic(path: Path, payload: Any) -> None:
    """JSON written to a temporary file and renamed, so a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(scratch, path)


def write_manifest(settings: Settings, quarter: FiscalQuarter, manifest: dict[str, Any]) -> Path:
    path = settings.paths.build_quarter(quarter.id) / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")
    return path


def run_quarter(
    paths: ProjectPaths,
    quarter_id: str,
    only: list[str] | None = None,
    force: bool = False,
    workers: int | None = None,
    render: bool = True,
    require_site: bool = False,
) -> RunResult:
    """The whole quarterly pipeline for one quarter, under the run lock."""
    from . import site

    started_at = datetime.now(UTC)
    started = time.perf_counter()
    settings = load_settings(paths)
    quarter = FiscalQuarter.parse(quarter_id)
    params = load_quarter(paths, settings.plan, quarter.id, set(settings.sources.sources))
    code = code_version(paths)
    code_hash = helpers_code_hash()
    workers = workers or os.cpu_count() or 1
    manifest: dict[str, Any] = {
        **params.facts(),
        "code_version": code,
        "code_hash": code_hash,
        "python": platform.python_version(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "parameters": {
            "quarter": quarter.id,
            "only": only,
            "force": force,
            "workers": workers,
            "render": render,
        },
        "settings": settings.file_hashes(),
        "quarter_params": file_sha256(paths.quarters / f"{quarter.id}.yml"),
        "status": "running",
    }
    result = RunResult(quarter.id, manifest)
    kernels: dict[str, KernelPool] = {}
    build: site.SiteBuild | None = None

    def warm_up() -> KernelPool:
        """Work ahead means notebooks to run and a site to render: start their kernels and
        Quarto now, while the data is processed."""
        if "pool" not in kernels:
            from .kernels import KernelPool

            kernels["pool"] = KernelPool(workers, paths.notebooks).start()
            threading.Thread(target=_import_ahead, daemon=True).start()
        if build:
            build.start_early()
        return kernels["pool"]

    def shut_down_kernels() -> None:
        pool = kernels.pop("pool", None)
        if pool is not None:
            pool.shutdown()

    try:
        with run_lock(paths):
            timings: dict[str, float] = {}
            t0 = time.perf_counter()
            if render:
                build = site.SiteBuild(
                    settings, quarter, params, report_pages(settings), manifest, force, require_site
                )
            if force:
                warm_up()  # every step will run: no need to wait for the raw files' checksums
            ingest_record = ensure_ingested(settings, code_hash, force=force, on_work=warm_up)
            timings["ingest"] = round(time.perf_counter() - t0, 2)
            manifest["validation"] = {
                "status": ingest_record["status"],
                "sample_data": ingest_record.get("sample_data"),
                "failures": 0,
                "sources": {
                    name: {
                        "rows": info["rows"],
                        "first_date": info["first_date"],
                        "last_date": info["last_date"],
                        "skipped_rows": info.get("skipped_rows", {}),
                    }
                    for name, info in ingest_record.get("sources", {}).items()
                },
            }
            manifest["inputs"] = {"raw": ingest_record.get("raw_fingerprint", {})}
            t0 = time.perf_counter()
            publication = ensure_measures(settings, quarter, params, code_hash, force=force, on_work=warm_up)
            timings["measures"] = round(time.perf_counter() - t0, 2)
            manifest["publication"] = {
                "sample_data": publication.get("sample_data"),
                "privacy": publication.get("privacy"),
                "measures": {
                    k: {
                        "status": v["status"],
                        "data_through": v["data_through"],
                        "csv_sha256": v["csv_sha256"],
                        "suppressed": v["suppressed"],
                    }
                    for k, v in publication.get("measures", {}).items()
                },
                "coverage": publication.get("sources", {}),
            }
            summarise_data(manifest)
            t0 = time.perf_counter()
            executed, skipped = execute_notebooks(
                settings,
                quarter,
                params,
                only,
                force,
                workers,
                on_start=warm_up,
                on_done=build.page_ready if build else None,
            )
            shut_down_kernels()
            timings["notebooks"] = round(time.perf_counter() - t0, 2)
            result.executed = [e["page"] for e in executed]
            result.skipped = skipped
            manifest["notebooks"] = {"executed": executed, "skipped": skipped}
            if build:
                t0 = time.perf_counter()
                outcome = build.publish()
                timings["site"] = round(time.perf_counter() - t0, 2)
                result.site = outcome.status
                manifest["site"] = outcome.as_dict()
            manifest["timings_seconds"] = timings
            manifest["status"] = "succeeded"
    except BaseException as exc:
        if build:
            build.abandon()
        manifest["status"] = "failed"
        manifest["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        shut_down_kernels()
        manifest["seconds"] = round(time.perf_counter() - started, 2)
        if paths.build.exists() or manifest["status"] != "running":
            write_manifest(settings, quarter, manifest)
    return result
