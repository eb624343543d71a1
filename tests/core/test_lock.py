"""One lock for every command that writes, taken by the first and refused to the second with
exit 6; and what a killed run leaves half-written is cleared by the next one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers.cli import EXIT_LOCKED, main
from helpers.core.lock import RunLocked, leftovers, project_lock

from ..conftest import LATEST, copy_project_skeleton, lock_held_elsewhere

WRITING = [
    ["run", "--no-site"],
    ["site", "--force"],
    ["ingest"],
    ["measures"],
    ["preview", "--only", "2.1"],
    ["sample-data"],
]


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory):
    return copy_project_skeleton(tmp_path_factory.mktemp("lock") / "project")


@pytest.fixture
def held(skeleton):
    with lock_held_elsewhere(skeleton):
        yield skeleton


@pytest.mark.parametrize("command", WRITING, ids=[c[0] for c in WRITING])
def test_every_writing_command_is_refused_while_another_run_holds_the_lock(held, command, caplog):
    raw_before = sorted(p.name for p in held.raw.iterdir())
    assert main(["--root", str(held.root), *command]) == EXIT_LOCKED
    assert "Another report run is in progress" in caplog.text
    assert sorted(p.name for p in held.raw.iterdir()) == raw_before  # nothing was written


def test_the_lock_is_reentrant_within_a_run_and_exclusive_between_processes(skeleton):
    with project_lock(skeleton), project_lock(skeleton):  # the run's backfill nests
        code = subprocess.run(
            [sys.executable, "-m", "helpers", "--root", str(skeleton.root), "-q", "ingest"],
            capture_output=True,
            text=True,
        )
        assert code.returncode == EXIT_LOCKED, code.stderr
    with project_lock(skeleton):
        pass  # released, then taken again


def test_what_a_killed_run_left_half_written_is_cleared_by_the_next_one(skeleton):
    scratch = skeleton.processed / ".canonical-k1ll3d"
    scratch.mkdir(parents=True)
    (scratch / "cad_events.parquet").write_bytes(b"PAR1 half")
    staging = skeleton.processed / f".{LATEST.id}-abc123"
    staging.mkdir()
    record = skeleton.build / LATEST.id / ".manifest.json.tmp"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("{")
    running = skeleton.build / LATEST.id / "notebooks" / "index.running.ipynb"
    running.parent.mkdir(parents=True, exist_ok=True)
    running.write_text("{")
    assert set(leftovers(skeleton)) == {scratch, staging, record, running}
    with project_lock(skeleton):
        assert leftovers(skeleton) == []
    assert not scratch.exists() and (skeleton.processed).exists()


def test_a_second_lock_in_the_same_process_after_release_is_not_refused(skeleton):
    with project_lock(skeleton):
        pass
    try:
        with project_lock(skeleton):
            pass
    except RunLocked:  # pragma: no cover - the point of the test
        pytest.fail("a released lock was still held")
