"""Shared fixtures: a sample project built once per session, and small project copies for tests
that change inputs. Nothing here touches the repository's own data/, build/ or _site/."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.core.cache import helpers_code_hash
from helpers.core.paths import ProjectPaths
from helpers.core.periods import FiscalQuarter
from helpers.params.pages import report_pages
from helpers.params.quarters import load_quarter
from helpers.params.settings import load_settings
from helpers.run.runner import ensure_ingested, ensure_measures
from helpers.sample.generate import generate

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SHARED_REAL = REPO.parent / "shared" / "data" / "real"
QUARTERS = ("FY2026Q4", "FY2027Q1")
PREVIOUS, LATEST = (FiscalQuarter.parse(q) for q in QUARTERS)
SITE_PAGES = [
    "index.html",
    "objective-2-1.html",
    "objective-2-2.html",
    "objective-2-3.html",
    "districts/index.html",
    *(f"districts/d{n}.html" for n in (2, 3, 5, 1, 4)),
    "about-the-data.html",
    "archive.html",
]


def edited_params(name: str, tmp_path: Path, change) -> Path:
    """A copy of ``params/<name>`` with ``change(data)`` applied, for tests of bad settings."""
    import yaml

    data = yaml.safe_load((REPO / "params" / name).read_text())
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def copy_project_skeleton(root: Path) -> ProjectPaths:
    """params, notebooks, site assets and _quarto.yml of the repository, in a new folder."""
    for name in ("params", "notebooks", "site"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy2(REPO / "_quarto.yml", root / "_quarto.yml")
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "processed").mkdir(parents=True)
    return ProjectPaths(root)


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    """The full sample pipeline up to the measures stage, for both sample quarters."""
    paths = copy_project_skeleton(tmp_path_factory.mktemp("sample-project"))
    generate(paths)
    settings = load_settings(paths)
    code = helpers_code_hash()
    ensure_ingested(settings, code)
    for quarter in map(FiscalQuarter.parse, QUARTERS):
        ensure_measures(settings, quarter, load_quarter(paths, settings.plan, quarter), code)
    return paths


def clone_project(source: ProjectPaths, root: Path) -> ProjectPaths:
    """A copy of a built project: raw files hard-linked, everything else copied."""
    for name in ("params", "notebooks", "site"):
        shutil.copytree(source.root / name, root / name)
    shutil.copy2(source.quarto_config, root / "_quarto.yml")
    shutil.copytree(source.raw, root / "data" / "raw", copy_function=os.link)
    shutil.copytree(source.processed, root / "data" / "processed")
    return ProjectPaths(root)


@pytest.fixture
def project_copy(sample_project: ProjectPaths, tmp_path: Path) -> ProjectPaths:
    return clone_project(sample_project, tmp_path / "project")


def write_fixture_notebooks(paths: ProjectPaths, failing_page: str | None = None) -> None:
    """Replace the page notebooks with tiny ones, so runner tests spend no time on charts."""
    settings = load_settings(paths)
    source = (FIXTURES / "notebooks" / "tiny.ipynb").read_text()
    failing = (FIXTURES / "notebooks" / "failing.ipynb").read_text()
    for spec in report_pages(settings):
        spec.notebook.write_text(failing if spec.page == failing_page else source)


@pytest.fixture
def fake_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``quarto`` executable (tests/fixtures/fake_quarto.py) on QUARTO_PATH.

    It renders the staged site in a simplified way so that the publishing machinery (checks,
    archive, atomic swap) is tested where the real Quarto cannot be installed. The real Quarto
    is exercised by tests/test_site_quarto.py wherever it exists.
    """
    executable = tmp_path / "bin" / "quarto"
    executable.parent.mkdir()
    executable.write_text(f"#!{sys.executable}\n" + (FIXTURES / "fake_quarto.py").read_text())
    executable.chmod(0o755)
    monkeypatch.setenv("QUARTO_PATH", str(executable))
    return executable


def real_quarto() -> str | None:
    """The real Quarto, if installed (QUARTO_PATH pointing at the fake one does not count)."""
    from helpers.site.quarto import find_quarto

    found = find_quarto()
    if found and "fake" not in Path(found).read_text(errors="ignore")[:2000]:
        return found
    return None


@pytest.fixture(scope="session")
def executed_project(sample_project: ProjectPaths, tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    """The sample project with the real notebooks executed for both quarters (no site yet)."""
    from helpers.run.runner import run_quarter

    paths = clone_project(sample_project, tmp_path_factory.mktemp("executed") / "project")
    for quarter in map(FiscalQuarter.parse, QUARTERS):
        run_quarter(paths, quarter, workers=2, render=False)
    return paths


@pytest.fixture(scope="session")
def rendered(executed_project: ProjectPaths, tmp_path_factory: pytest.TempPathFactory):
    """Both sample quarters published once for the session, by the real Quarto where it is
    installed, else by the fake one (tests that need the real one skip on their own):
    (paths, {quarter: outcome})."""
    import json

    from helpers.site.publish import SiteBuild

    paths = clone_project(executed_project, tmp_path_factory.mktemp("quarto") / "project")
    shutil.copytree(executed_project.build, paths.build)
    settings = load_settings(paths)
    outcomes = {}
    with pytest.MonkeyPatch.context() as patch:
        if real_quarto() is None:
            fake = tmp_path_factory.mktemp("fake-quarto") / "quarto"
            fake.write_text(f"#!{sys.executable}\n" + (FIXTURES / "fake_quarto.py").read_text())
            fake.chmod(0o755)
            patch.setenv("QUARTO_PATH", str(fake))
        for quarter in QUARTERS:
            q = FiscalQuarter.parse(quarter)
            manifest = json.loads(paths.manifest(q).read_text())
            params = load_quarter(paths, settings.plan, q)
            outcomes[quarter] = SiteBuild(settings, q, params, manifest["code_version"]).publish()
    return paths, outcomes


@pytest.fixture
def site_project(executed_project: ProjectPaths, tmp_path: Path) -> ProjectPaths:
    """A copy of the executed project that a test may publish into."""
    paths = clone_project(executed_project, tmp_path / "site-project")
    shutil.copytree(executed_project.build, paths.build)
    return paths


def publish_quarter(paths: ProjectPaths, quarter: str, force: bool = False):
    """Publish an executed quarter of ``paths`` (its notebooks run by ``executed_project``)."""
    import json

    from helpers.site.publish import SiteBuild

    settings = load_settings(paths)
    q = FiscalQuarter.parse(quarter)
    params = load_quarter(paths, settings.plan, q)
    manifest = json.loads(paths.manifest(q).read_text())
    return SiteBuild(settings, q, params, manifest["code_version"], force=force).publish()


@pytest.fixture(scope="session")
def published_once(executed_project: ProjectPaths, tmp_path_factory: pytest.TempPathFactory) -> ProjectPaths:
    """Both sample quarters published once (with the fake Quarto) for the session: tests that
    only read the site use it; a test that changes the project uses ``published``, its copy."""
    paths = clone_project(executed_project, tmp_path_factory.mktemp("published") / "site-project")
    shutil.copytree(executed_project.build, paths.build)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUARTO_PATH", str(_session_fake_quarto(tmp_path_factory)))
        for quarter in QUARTERS:
            outcome = publish_quarter(paths, quarter)
            assert outcome.status == "published", outcome.message
    return paths


def _session_fake_quarto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    executable = tmp_path_factory.getbasetemp() / "session-fake-quarto" / "quarto"
    if not executable.exists():
        executable.parent.mkdir(parents=True, exist_ok=True)
        executable.write_text(f"#!{sys.executable}\n" + (FIXTURES / "fake_quarto.py").read_text())
        executable.chmod(0o755)
    return executable


@pytest.fixture
def published(
    published_once: ProjectPaths,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> ProjectPaths:
    """A project of its own with both sample quarters published (with the fake Quarto), the
    latest at the root: a copy of ``published_once``, published again by the same Quarto."""
    monkeypatch.setenv("QUARTO_PATH", str(_session_fake_quarto(tmp_path_factory)))
    root = tmp_path / "site-project"
    raw = published_once.raw

    def not_raw(folder: str, names: list[str]) -> list[str]:
        return [name for name in names if Path(folder, name) == raw]

    shutil.copytree(published_once.root, root, symlinks=True, ignore=not_raw)
    shutil.copytree(published_once.raw, root / "data" / "raw", copy_function=os.link)
    return ProjectPaths(root)


@contextlib.contextmanager
def lock_held_elsewhere(paths: ProjectPaths) -> Iterator[None]:
    """Another process holding the project's lock, as a scheduled run would (the lock is
    re-entrant within one process, so a test cannot hold it itself)."""
    import subprocess

    paths.build.mkdir(parents=True, exist_ok=True)
    code = (
        "import fcntl, time\n"
        f"handle = open({str(paths.build / '.run.lock')!r}, 'w')\n"
        "fcntl.flock(handle, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()
