"""The command line: help on every command, clear errors and exit codes."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys

import pytest

from helpers.cli import build_parser, main

from .conftest import REPO

COMMANDS = ["sample-data", "ingest", "measures", "run", "check", "site", "quarters"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([command, "--help"])
    assert caught.value.code == 0
    assert "usage: python -m helpers " + command in capsys.readouterr().out


def test_module_entry_point_lists_commands_and_exit_codes():
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "--help"], capture_output=True, text=True, check=True
    )
    for command in COMMANDS:
        assert command in result.stdout
    assert "Exit codes" in result.stdout and "6  another run is in progress" in result.stdout


def test_check_validates_the_bundled_params(caplog):
    caplog.set_level(logging.INFO)
    assert main(["--root", str(REPO), "check"]) == 0
    assert "params OK" in caplog.text and "FY2026Q4, FY2027Q1" in caplog.text


def test_a_broken_params_file_exits_1_naming_file_and_fix(tmp_path, caplog):
    for name in ("params", "notebooks", "site"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "_quarto.yml", tmp_path)
    plan = tmp_path / "params" / "plan.yml"
    plan.write_text(plan.read_text().replace("good_direction: down", "good_direction: downward", 1))
    assert main(["--root", str(tmp_path), "check"]) == 1
    assert "params/plan.yml" in caplog.text and "good_direction" in caplog.text
    assert "Fix: use one of" in caplog.text
