"""The archive is the City's record of what it published: sealed when published, verified on
every run, never rewritten once a later quarter is out, and a publish never loses it."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess

import pytest

from helpers.cli import main
from helpers.site.archive import MANIFEST, ArchiveError, parse_manifest, verify
from helpers.site.publish import recover_publish, swap_in
from helpers.site.staging import force_remove

from ..conftest import publish_quarter

pytestmark = pytest.mark.slow


def tree(folder) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def writable(path) -> None:
    path.chmod(0o644)


def test_each_quarter_is_sealed_with_checksums_anyone_can_verify(published):
    archive = published.site / "archive"
    index = parse_manifest((archive / MANIFEST).read_text())
    assert sorted(index) == ["FY2026Q4/SHA256SUMS", "FY2027Q1/SHA256SUMS"]
    for name, digest in index.items():
        manifest = archive / name
        assert hashlib.sha256(manifest.read_bytes()).hexdigest() == digest
        listed = parse_manifest(manifest.read_text())
        folder = manifest.parent
        files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
        assert set(listed) == files and "index.html" in listed and "es/index.html" in listed
        for relative, digest_of_file in listed.items():
            assert hashlib.sha256((folder / relative).read_bytes()).hexdigest() == digest_of_file
    if shutil.which("sha256sum"):  # the way a reader checks a downloaded copy
        result = subprocess.run(["sha256sum", "--quiet", "-c", MANIFEST], cwd=archive / "FY2026Q4")
        assert result.returncode == 0
    assert json.loads(published.archive_ledger.read_text()) == {q.split("/")[0]: d for q, d in index.items()}


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
def test_a_changed_archived_csv_stops_the_run_naming_it_and_how_to_restore(published, force, caplog):
    target = published.site / "archive" / "FY2026Q4" / "data" / "calls_911.csv"
    writable(target)
    target.write_text(target.read_text().replace("2026", "2025", 1))
    before = tree(published.site)
    with pytest.raises(ArchiveError) as caught:
        publish_quarter(published, "FY2027Q1", force=force)
    message = str(caught.value)
    assert "archive/FY2026Q4/data/calls_911.csv has changed since the quarter was sealed" in message
    assert "archive restore FY2026Q4 --from" in message and "gh-pages" in message
    assert tree(published.site) == before  # nothing was published
    caplog.set_level(logging.INFO)
    assert main(["--root", str(published.root), "archive", "verify"]) == 4


def test_a_deleted_quarter_is_refused_not_dropped_from_the_archive_page(published):
    shutil.rmtree(published.site / "archive" / "FY2026Q4", onerror=force_remove)
    with pytest.raises(ArchiveError, match=r"archive/FY2026Q4/ is missing"):
        publish_quarter(published, "FY2027Q1", force=True)
    # The list of sealed quarters outside the site still knows it, even if the site's index goes.
    index = published.site / "archive" / MANIFEST
    writable(index)
    index.unlink()
    with pytest.raises(ArchiveError, match=r"archive/FY2026Q4/ is missing"):
        publish_quarter(published, "FY2027Q1", force=True)


def test_a_rewritten_manifest_is_caught_by_the_ledger_kept_outside_the_site(published):
    folder = published.site / "archive" / "FY2026Q4"
    target, manifest = folder / "index.html", folder / MANIFEST
    for path in (target, manifest):
        writable(path)
    target.write_text(target.read_text().replace("Goal", "Goat", 1))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    lines = [
        f"{digest}  index.html" if line.endswith("  index.html") else line
        for line in manifest.read_text().splitlines()
    ]
    manifest.write_text("\n".join(lines) + "\n")
    with pytest.raises(ArchiveError, match=r"FY2026Q4/SHA256SUMS differs from the checksum recorded"):
        publish_quarter(published, "FY2027Q1", force=True)


def test_a_quarter_restored_from_a_copy_of_the_published_site_publishes_again(published, tmp_path):
    backup = tmp_path / "gh-pages"
    shutil.copytree(published.site, backup)
    shutil.rmtree(published.site / "archive" / "FY2026Q4", onerror=force_remove)
    assert main(["--root", str(published.root), "archive", "verify"]) == 4
    # A copy that is itself damaged is refused.
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    (damaged / "archive" / "FY2026Q4" / "search.json").chmod(0o644)
    (damaged / "archive" / "FY2026Q4" / "search.json").write_text("[]")
    root = str(published.root)
    assert main(["--root", root, "archive", "restore", "FY2026Q4", "--from", str(damaged)]) == 4
    assert main(["--root", root, "archive", "restore", "FY2026Q4", "--from", str(backup)]) == 0
    assert verify(published).problems == {}
    assert publish_quarter(published, "FY2027Q1", force=True).status == "published"
    assert tree(published.site / "archive" / "FY2026Q4") == tree(backup / "archive" / "FY2026Q4")


def test_an_earlier_quarter_is_never_rewritten_and_the_latest_is_resealed(published):
    earlier = tree(published.site / "archive" / "FY2026Q4")
    latest_manifest = (published.site / "archive" / "FY2027Q1" / MANIFEST).read_text()
    assert publish_quarter(published, "FY2027Q1", force=True).status == "published"
    assert tree(published.site / "archive" / "FY2026Q4") == earlier
    # The same inputs give the same copy of the latest quarter, byte for byte.
    assert (published.site / "archive" / "FY2027Q1" / MANIFEST).read_text() == latest_manifest


def test_a_site_published_before_sealing_is_sealed_at_its_next_publish(published):
    archive = published.site / "archive"
    for quarter in ("FY2026Q4", "FY2027Q1"):
        writable(archive / quarter)
        (archive / quarter / MANIFEST).chmod(0o644)
        (archive / quarter / MANIFEST).unlink()
    writable(archive / MANIFEST)
    (archive / MANIFEST).unlink()
    published.archive_ledger.unlink()
    assert verify(published).unsealed and not verify(published).problems
    assert publish_quarter(published, "FY2027Q1", force=True).status == "published"
    assert sorted(parse_manifest((archive / MANIFEST).read_text())) == [
        "FY2026Q4/SHA256SUMS",
        "FY2027Q1/SHA256SUMS",
    ]


# --------------------------------------------------------------------------------------------
# A publish that cannot lose history


def test_a_run_finding_the_site_missing_restores_it_before_publishing(published):
    """The state a run stopped between its two renames used to leave: the earlier quarters only
    in _site.previous, which the next run deleted."""
    previous_archive = tree(published.site / "archive" / "FY2026Q4")
    shutil.rmtree(published.previous_site, onerror=force_remove)
    published.site.rename(published.previous_site)
    assert publish_quarter(published, "FY2027Q1", force=True).status == "published"
    assert tree(published.site / "archive" / "FY2026Q4") == previous_archive
    assert (published.previous_site / "index.html").exists()


def test_the_fallback_is_kept_until_the_new_site_is_in_place(published, tmp_path, monkeypatch):
    before = tree(published.site)
    fallback = tree(published.previous_site)
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "index.html").write_text("new")
    real_rename = type(staged).rename

    def failing(self, target):
        if self == staged:
            raise OSError(28, "No space left on device", str(target))
        return real_rename(self, target)

    monkeypatch.setattr(type(staged), "rename", failing)
    with pytest.raises(OSError, match="No space left"):
        swap_in(published, staged)
    monkeypatch.undo()
    assert tree(published.site) == before and tree(published.previous_site) == fallback


@pytest.mark.parametrize("stopped_after", ["live-site-moved", "new-site-in-place"])
def test_a_publish_stopped_between_renames_is_recovered(published, tmp_path, stopped_after):
    live = tree(published.site)
    published.site.rename(published.outgoing_site)
    if stopped_after == "new-site-in-place":
        new = tmp_path / "new"
        new.mkdir()
        (new / "index.html").write_text("new")
        new.rename(published.site)
    recover_publish(published)
    if stopped_after == "live-site-moved":
        assert tree(published.site) == live
    else:
        assert (published.site / "index.html").read_text() == "new"
        assert tree(published.previous_site) == live
    assert not published.outgoing_site.exists()
