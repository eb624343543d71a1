"""The archive: the City's record of what it published each quarter, sealed and verified.

Every quarter's published copy (``archive/<quarter>/`` in the site) carries ``SHA256SUMS``, the
SHA-256 of each of its files in the format of ``sha256sum`` (so anyone can check a downloaded copy
with ``sha256sum -c SHA256SUMS``), and ``archive/SHA256SUMS`` lists every sealed quarter by the
checksum of its manifest. The run also keeps those checksums outside the site
(``build/archive-ledger.json``). Before anything is built, every archived quarter is verified:
a changed, added or missing file, a missing quarter or a changed manifest stops the run, naming
the file and how to restore it. A quarter is never rewritten once a later one is published;
while it is still the latest, publishing it again (a correction) seals its new copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..core.cache import file_sha256
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter, quarters_named
from .quarto import SiteError

log = logging.getLogger("helpers.archive")

MANIFEST = "SHA256SUMS"
RESTORE_HELP = (
    "An archived quarter is never rewritten, so nothing was published. Restore the quarter from "
    "the published branch or a backup: `python -m helpers archive restore {quarter} --from "
    "<a copy of the published site>` (for example a checkout of the gh-pages branch, or "
    "_site.previous), then run again; `python -m helpers archive verify` checks the archive."
)


class ArchiveError(SiteError):
    """The published archive differs from what was sealed; nothing is published."""


def manifest_text(folder: Path) -> str:
    """``sha256sum`` lines for every file under ``folder`` but the manifest, sorted by path."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    files = [f for f in files if f != MANIFEST]
    return "".join(f"{file_sha256(folder / name)}  {name}\n" for name in files)


def parse_manifest(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            out[name] = digest
    return out


def seal(folder: Path) -> str:
    """Write ``folder``'s manifest; returns the manifest's own checksum."""
    text = manifest_text(folder)
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()


def write_index(archive: Path, sealed: dict[str, str]) -> None:
    """``archive/SHA256SUMS``: each quarter's manifest, by its checksum."""
    lines = "".join(f"{digest}  {q}/{MANIFEST}\n" for q, digest in sorted(sealed.items()))
    (archive / MANIFEST).write_text(lines, encoding="utf-8")


def read_index(archive: Path) -> dict[str, str] | None:
    path = archive / MANIFEST
    if not path.exists():
        return None
    return {name.split("/", 1)[0]: digest for name, digest in parse_manifest(path.read_text()).items()}


# --------------------------------------------------------------------------------------------
# Verifying


@dataclass
class Verdict:
    """What verifying the published archive found."""

    quarters: list[FiscalQuarter] = field(default_factory=list)  # sealed and intact
    problems: dict[str, list[str]] = field(default_factory=dict)  # by quarter id
    unsealed: list[FiscalQuarter] = field(default_factory=list)  # published before sealing existed

    def add(self, quarter: str, problems: list[str]) -> None:
        if problems:
            self.problems.setdefault(quarter, []).extend(problems)


def verify_quarter(folder: Path, expected_manifest: str | None) -> list[str]:
    """Problems with one quarter's copy: its manifest missing or changed, files changed, added
    or missing. Paths are named from the site's root."""
    shown = f"archive/{folder.name}"
    manifest = folder / MANIFEST
    if not folder.is_dir():
        return [f"{shown}/ is missing"]
    if not manifest.exists():
        return [f"{shown}/{MANIFEST} is missing, so the quarter's files cannot be verified"]
    text = manifest.read_text(encoding="utf-8")
    if expected_manifest and hashlib.sha256(text.encode()).hexdigest() != expected_manifest:
        return [f"{shown}/{MANIFEST} differs from the checksum recorded when the quarter was sealed"]
    recorded = parse_manifest(text)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    problems = []
    for name in sorted(set(recorded) - present):
        problems.append(f"{shown}/{name} is missing")
    for name in sorted(present - set(recorded)):
        problems.append(f"{shown}/{name} was added after the quarter was sealed")
    for name in sorted(set(recorded) & present):
        if file_sha256(folder / name) != recorded[name]:
            problems.append(f"{shown}/{name} has changed since the quarter was sealed")
    return problems


def ledger(paths: ProjectPaths) -> dict[str, str]:
    path = paths.archive_ledger
    return json.loads(path.read_text()) if path.exists() else {}


def expected_quarters(paths: ProjectPaths, site: Path) -> dict[str, str]:
    """Every quarter the archive must hold, with its manifest's checksum where one is recorded:
    the site's index and the ledger kept outside the site."""
    index = read_index(site / "archive") or {}
    recorded = ledger(paths)
    return {**index, **recorded}  # the ledger, kept outside the site, has the last word


def verify(paths: ProjectPaths, site: Path | None = None) -> Verdict:
    """Check every archived quarter of the published site (or of ``site``) against its seal."""
    site = site or paths.site
    archive = site / "archive"
    verdict = Verdict()
    expected = expected_quarters(paths, site)
    on_disk = (
        {q.id for q in quarters_named(p.name for p in archive.iterdir() if p.is_dir())}
        if archive.exists()
        else set()
    )
    if not expected:  # published before archives were sealed (or nothing published yet)
        verdict.unsealed = [FiscalQuarter.parse(q) for q in sorted(on_disk)]
        return verdict
    if read_index(archive) is None:
        verdict.add("", [f"archive/{MANIFEST} (the list of sealed quarters) is missing"])
    for quarter in sorted(on_disk - set(expected)):
        verdict.add(quarter, [f"archive/{quarter}/ is not one of the sealed quarters (archive/{MANIFEST})"])
    for quarter, digest in sorted(expected.items()):
        problems = verify_quarter(archive / quarter, digest)
        verdict.add(quarter, problems)
        if not problems:
            verdict.quarters.append(FiscalQuarter.parse(quarter))
    return verdict


def refuse_superseded(archived: list[FiscalQuarter], quarter: FiscalQuarter) -> None:
    """Archived quarters are read-only: a quarter is never published over a later one."""
    if archived and max(archived) > quarter:
        latest = max(archived)
        raise SiteError(
            f"The published site already holds {latest.id}, later than {quarter.id}. Archived "
            f"quarters are read-only: publish {latest.id} or a later quarter."
        )


def require_intact(paths: ProjectPaths) -> list[FiscalQuarter]:
    """Verify the published archive; raise ``ArchiveError`` naming every problem and how to
    restore the quarters concerned. Returns the archived quarters."""
    verdict = verify(paths)
    if verdict.problems:
        found = [p for problems in verdict.problems.values() for p in problems]
        shown = "\n".join(f"  - {p}" for p in found[:40])
        more = f"\n  ... and {len(found) - 40} more" if len(found) > 40 else ""
        which = " ".join(q for q in verdict.problems if q) or "<quarter>"
        raise ArchiveError(
            f"The published archive in {paths.site} does not match what was sealed when each quarter "
            f"was published ({len(found)} problem(s)):\n{shown}{more}\n" + RESTORE_HELP.format(quarter=which)
        )
    return sorted([*verdict.quarters, *verdict.unsealed])


# --------------------------------------------------------------------------------------------
# Sealing a new site's archive


def seal_site(paths: ProjectPaths, site: Path, current: FiscalQuarter) -> dict[str, str]:
    """Seal ``site``'s archive before it is published: the current quarter's new copy, and any
    quarter published before sealing existed; every other quarter keeps its manifest. Writes the
    site's index; returns quarter -> manifest checksum, for the ledger once the site is live."""
    archive = site / "archive"
    sealed: dict[str, str] = {}
    for folder in sorted(p for p in archive.iterdir() if p.is_dir()):
        if not quarters_named([folder.name]):
            continue
        manifest = folder / MANIFEST
        if folder.name == current.id or not manifest.exists():
            if folder.name != current.id:
                log.warning("archive: sealing %s, published before archives were sealed", folder.name)
            sealed[folder.name] = seal(folder)
        else:
            sealed[folder.name] = hashlib.sha256(manifest.read_bytes()).hexdigest()
    write_index(archive, sealed)
    return sealed


def record_ledger(paths: ProjectPaths, sealed: dict[str, str]) -> None:
    from ..core.records import write_json

    write_json(paths.archive_ledger, dict(sorted(sealed.items())))


def check_sealed(site: Path, current: FiscalQuarter) -> list[str]:
    """The staged site's archive matches its manifests (the site check before publishing)."""
    archive = site / "archive"
    index = read_index(archive) or {}
    problems = []
    for quarter, digest in sorted(index.items()):
        problems += verify_quarter(archive / quarter, digest)
    if current.id not in index:
        problems.append(f"archive/{current.id}/ was not sealed")
    return problems


# --------------------------------------------------------------------------------------------
# Restoring a quarter from a copy of the published site


def restore(paths: ProjectPaths, quarter: FiscalQuarter, source: Path) -> str:
    """Put back ``archive/<quarter>/`` from ``source`` (a copy of the published site, or the
    quarter's folder itself) after checking the copy against its manifest and against the
    checksum recorded for the quarter. Returns what was done, in words."""
    from .staging import force_remove

    candidates = [source / "archive" / quarter.id, source / quarter.id, source]
    folder = next((c for c in candidates if (c / MANIFEST).exists() and c.name == quarter.id), None)
    if folder is None:
        raise ArchiveError(
            f"{source} holds no sealed copy of {quarter.id} (archive/{quarter.id}/{MANIFEST})."
        )
    expected = expected_quarters(paths, paths.site).get(quarter.id)
    problems = verify_quarter(folder, expected)
    if problems:
        raise ArchiveError(
            f"The copy of {quarter.id} in {folder} is not the sealed one either:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    target = paths.site / "archive" / quarter.id
    scratch = target.with_name(f".{quarter.id}.restoring")
    if scratch.exists():
        shutil.rmtree(scratch, onerror=force_remove)
    shutil.copytree(folder, scratch)
    for path in scratch.rglob("*"):
        if path.is_file():
            path.chmod(0o444)
    if target.exists():
        shutil.rmtree(target, onerror=force_remove)
    os.replace(scratch, target)
    index = read_index(paths.site / "archive") or {}
    if quarter.id not in index:
        index[quarter.id] = expected or hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest()
        index_file = paths.site / "archive" / MANIFEST
        if index_file.exists():
            index_file.chmod(0o644)
        write_index(paths.site / "archive", index)
    return f"restored archive/{quarter.id}/ from {folder} (verified against its checksums)"
