"""Rendering only the pages that changed.

After every full render, each edition's staged folder is kept beside the next one's
(``build/<quarter>/site-src.kept``), with Quarto's output in it and a list of the checksums of
every file Quarto read. The next build stages its folder as always, then compares: when the
only files that differ are pages of the render list, Quarto renders just those pages inside the
kept folder (``quarto render <page>``, which also updates the site's search index), and the
site is assembled from its output. Anything else that differs (configuration, assets, data
files, the page list, Quarto itself) means a full render. A single-page render gives the same
bytes as a full render of the same folder (checked with Quarto 1.7.34: every file of ``_site``
identical).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from ..core.cache import file_sha256
from .quarto import SIGNALS, project_config, render

log = logging.getLogger("helpers.site")

MANIFEST = ".staged.json"
NOT_STAGED = {"_site", ".quarto", SIGNALS, MANIFEST}


def kept_folder(staging: Path) -> Path:
    return staging.with_name(staging.name + ".kept")


def quarto_identity(quarto: str) -> str:
    """The Quarto executable as it is on disk: a new Quarto means a full render."""
    stat = Path(quarto).resolve().stat()
    return f"{Path(quarto).resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def staged_files(folder: Path) -> dict[str, str]:
    """Every file of a staged folder that Quarto reads, with its checksum."""
    return {
        path.relative_to(folder).as_posix(): file_sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).parts[0] not in NOT_STAGED
    }


def _write_manifest(folder: Path, quarto: str) -> None:
    manifest = {"quarto": quarto_identity(quarto), "files": staged_files(folder)}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))


def keep(staging: Path, quarto: str) -> Path:
    """After a full render: the staged folder (with its output) becomes the kept one."""
    _write_manifest(staging, quarto)
    kept = kept_folder(staging)
    if kept.exists():
        shutil.rmtree(kept)
    staging.rename(kept)
    return kept


def forget(staging: Path) -> None:
    """A full render is needed next time (the kept folder is out of date or half updated)."""
    shutil.rmtree(kept_folder(staging), ignore_errors=True)


def changed_pages(staging: Path, quarto: str) -> list[str] | None:
    """The pages to render when only pages changed since the kept render, in render order;
    None when a full render is needed."""
    kept = kept_folder(staging)
    manifest = kept / MANIFEST
    if not manifest.exists() or not (kept / "_site" / "index.html").exists():
        return None
    before = json.loads(manifest.read_text())
    if before.get("quarto") != quarto_identity(quarto):
        return None
    now = staged_files(staging)
    old = before.get("files", {})
    if set(now) != set(old):
        return None
    changed = {name for name, digest in now.items() if old[name] != digest}
    order = list(project_config(staging).get("render", []))
    if not changed <= set(order):
        return None
    return [page for page in order if page in changed]


def render_pages(quarto: str, staging: Path, pages: list[str], log_file: Path) -> Path:
    """Render ``pages`` alone in the kept folder, from the newly staged files; returns the kept
    folder's output. On any failure the kept folder is dropped, so the next build renders all."""
    kept = kept_folder(staging)
    try:
        for page in pages:
            shutil.copy2(staging / page, kept / page)
            render(quarto, kept, log_file, page=page)
            log.info("site: Quarto rendered %s alone (the only change)", page)
        _write_manifest(kept, quarto)
    except BaseException:
        forget(staging)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return kept / "_site"
