"""Finding Quarto and running it: renders never execute code (papermill did), and a render can
start before the notebooks are done.

Quarto spends its first seconds starting up and compiling the site's Bootstrap theme, then
renders the pages one after another. A render started early (``GatedRender``) does the first
part while the notebooks still execute, and renders each page as soon as its notebook is staged:
Quarto reads a page only when the one before it is done, and the filter every page runs
(``site/wait-for-pages.lua``) holds a page until the next one is ready. The Archive page, which
needs no notebook, goes first. The output is byte-identical to a plain render (tested).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger("helpers.quarto")

MIN_QUARTO = (1, 6)
SIGNALS = ".pages-ready"  # a folder in the staged site: "<page>.ready" per page, "failed"
RENDER_TIMEOUT = 1800

QUARTO_INSTALL_HELP = """\
Quarto was not found, so the website was not rendered. The notebooks were executed and are in
  {executed}
To build the website, install Quarto 1.6 or later, then run `make report` again:
  - with pip (into this project's environment):  .venv/bin/pip install quarto-cli
  - with conda (conda-forge):                      conda install -c conda-forge quarto
  - with the installer from                         https://quarto.org/docs/get-started/
If Quarto is installed somewhere unusual, set QUARTO_PATH to the quarto executable."""


class SiteError(RuntimeError):
    """The site could not be built or did not pass its checks; nothing was published."""


class QuartoMissing(SiteError):
    pass


class RenderFailed(SiteError):
    """Quarto itself failed (or did not finish): its log says why; nothing was published."""


def find_quarto() -> str | None:
    """``QUARTO_PATH``, then ``quarto`` on PATH, then next to this Python (pip's quarto-cli)."""
    explicit = os.environ.get("QUARTO_PATH")
    candidates = [explicit] if explicit else []
    candidates += [shutil.which("quarto"), str(Path(sys.executable).parent / "quarto")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def quarto_version(quarto: str) -> tuple[int, ...]:
    output = subprocess.run(
        [quarto, "--version"], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    return tuple(int(p) for p in re.findall(r"\d+", output)[:3])


def checked_quarto() -> str:
    quarto = find_quarto()
    if quarto is None:
        raise QuartoMissing("Quarto is not installed")
    version = quarto_version(quarto)
    if version[:2] < MIN_QUARTO:
        raise SiteError(
            f"Quarto {'.'.join(map(str, version))} at {quarto} is too old: the site "
            f"needs {'.'.join(map(str, MIN_QUARTO))} or later (https://quarto.org)."
        )
    return quarto


def _failed(code: int, log_file: Path) -> RenderFailed:
    tail = log_file.read_text(errors="replace").splitlines()[-25:]
    return RenderFailed(
        f"Quarto could not render the site (exit code {code}); nothing was published and the "
        f"current site is unchanged. Last lines of its log, {log_file}:\n"
        + "\n".join(tail)
        + "\nFix what the log names (often a page's Markdown or a missing file), or check the Quarto "
        "installation with `quarto check`; then run again."
    )


def _output(staging: Path, page: str | None) -> Path:
    output = staging / "_site"
    expected = output / (Path(page).with_suffix(".html") if page else "index.html")
    if not expected.exists():
        raise RenderFailed(f"Quarto finished but {expected} is missing; nothing was published.")
    return output


def render(quarto: str, staging: Path, log_file: Path, page: str | None = None) -> Path:
    """Render the staged site (or only ``page``, a file in it) with Quarto, never executing code."""
    started = time.perf_counter()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle:
        completed = subprocess.run(
            [quarto, "render", page or str(staging), "--no-execute"],
            cwd=staging,
            env={**os.environ, "QUARTO_PYTHON": sys.executable},
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
    if completed.returncode != 0:
        raise _failed(completed.returncode, log_file)
    log.info("quarto render finished in %.1fs", time.perf_counter() - started)
    return _output(staging, page)


def project_config(staging: Path) -> dict:
    """The staged folder's ``project:`` settings (render list, resources, output folder)."""
    import yaml

    return (yaml.safe_load((staging / "_quarto.yml").read_text()) or {}).get("project", {})


def signal_name(page: str) -> str:
    """A page of the render list as one file name (``districts/d3.ipynb``: ``districts__d3.ipynb``),
    the same the filter (site/wait-for-pages.lua) makes of the page it renders."""
    return page.replace("/", "__")


class GatedRender:
    """A Quarto render of ``staging`` started now, that renders each page only once
    ``page_ready`` is called for the page after it. Use it as a context manager: leaving without
    ``wait`` abandons the render."""

    def __init__(self, quarto: str, staging: Path, log_file: Path, expect: str | None = None) -> None:
        self.quarto = quarto
        self.staging = staging
        self.log_file = log_file
        self.expect = expect
        self.signals = staging / SIGNALS
        self.order: list[str] = list(project_config(staging).get("render", []))
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> GatedRender:
        if self.signals.exists():
            shutil.rmtree(self.signals)
        self.signals.mkdir()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        with self.log_file.open("w") as handle:
            self.process = subprocess.Popen(
                [self.quarto, "render", str(self.staging), "--no-execute"],
                cwd=self.staging,
                env={
                    **os.environ,
                    "QUARTO_PYTHON": sys.executable,
                    "DURHAM_PAGES_READY": str(self.signals),
                    "DURHAM_PAGES_ORDER": ":".join(map(signal_name, self.order)),
                    "DURHAM_RUNNER_PID": str(os.getpid()),
                },
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        return self

    def page_ready(self, page: str) -> None:
        """``page`` (a file of the render list) is staged: Quarto may read it."""
        (self.signals / f"{signal_name(page)}.ready").write_text("ready\n")

    def wait(self) -> Path:
        """Every page is staged: let Quarto finish, and return the rendered site."""
        assert self.process is not None, "start() first"
        waiting = time.perf_counter()
        for page in self.order:
            self.page_ready(page)
        try:
            code = self.process.wait(timeout=RENDER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise RenderFailed(
                f"Quarto did not finish within {RENDER_TIMEOUT} s; nothing was published. See {self.log_file}"
            ) from None
        if code != 0:
            raise _failed(code, self.log_file)
        shutil.rmtree(self.signals, ignore_errors=True)
        copy_late_resources(self.staging)
        log.info(
            "quarto render finished %.1fs after the last page was ready (%.1fs in all)",
            time.perf_counter() - waiting,
            time.perf_counter() - self.started,
        )
        return _output(self.staging, self.expect)

    def abandon(self) -> None:
        """Stop the render: the notebooks failed, or there is nothing new to publish."""
        if self.process is None or self.process.poll() is not None:
            return
        (self.signals / "failed").write_text("failed\n")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    def __enter__(self) -> GatedRender:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.abandon()


def copy_late_resources(staging: Path) -> None:
    """Copy the project's declared resources that Quarto did not: it lists them when it starts,
    and an early render starts before the run stages its data, so a staged file no page links
    to would be published by a plain render but not by an early one. Now both publish it."""
    project = project_config(staging)
    output = staging / project.get("output-dir", "_site")
    for pattern in project.get("resources", []):
        for path in sorted(staging.glob(pattern)):
            target = output / path.relative_to(staging)
            if path.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
