"""The command line: help on every command, clear errors and exit codes."""

from __future__ import annotations

import errno
import logging
import shutil
import subprocess
import sys

import pytest

from helpers.cli import EXIT_CONFIG, build_parser, main

from ..conftest import REPO, copy_project_skeleton

COMMANDS = ["sample-data", "ingest", "measures", "run", "check", "site", "quarters", "archive", "spc"]


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
    plan.write_text(plan.read_text().replace("better: decrease", "better: down", 1))
    assert main(["--root", str(tmp_path), "check"]) == 1
    assert "params/plan.yml" in caplog.text and "better" in caplog.text
    assert "Fix: use one of" in caplog.text


@pytest.mark.parametrize("quarter", ["", "  ", "FY2027Q5", "2027Q1"])
def test_an_empty_or_malformed_quarter_is_refused(tmp_path, quarter, caplog):
    paths = copy_project_skeleton(tmp_path / "p")
    assert main(["--root", str(paths.root), "run", "--no-site", "--quarter", quarter]) == EXIT_CONFIG
    assert "--quarter" in caplog.text
    assert not paths.processed.joinpath("FY2027Q1").exists()


def _raising(error: OSError):
    def run(*args, **kwargs):
        raise error

    return run


@pytest.mark.parametrize(
    ("error", "code", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/srv/report/build"), 9, "The disk is full"),
        (PermissionError(errno.EACCES, "Permission denied", "/srv/report/_site"), 10, "Permission denied"),
    ],
    ids=["disk-full", "permission"],
)
def test_a_full_disk_or_a_permission_error_says_what_happened_and_what_to_do(
    tmp_path, monkeypatch, caplog, error, code, words
):
    paths = copy_project_skeleton(tmp_path / "p")
    monkeypatch.setattr("helpers.run.runner.run_quarter", _raising(error))
    assert main(["--root", str(paths.root), "run"]) == code
    assert words in caplog.text and error.filename in caplog.text
    assert "please report it" not in caplog.text  # not an unexpected error


def test_a_permission_error_reading_a_raw_file_is_not_called_a_bug(tmp_path, monkeypatch, caplog):
    from helpers.data.ingest import IngestInternalError

    wrapped = IngestInternalError(
        "cad_events", "cad/x.csv", PermissionError(errno.EACCES, "Permission denied")
    )
    wrapped.__cause__ = PermissionError(errno.EACCES, "Permission denied", "/srv/data/raw/cad/x.csv")
    paths = copy_project_skeleton(tmp_path / "p")
    monkeypatch.setattr("helpers.run.runner.run_quarter", _raising(wrapped))  # type: ignore[arg-type]
    assert main(["--root", str(paths.root), "run"]) == 10
    assert "/srv/data/raw/cad/x.csv" in caplog.text
