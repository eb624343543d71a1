"""Staging: the folder Quarto renders, made fresh for every build.

It holds ``_quarto.yml`` (the hand-written file plus the render list and navigation bar that
``pages.site_config`` derives from the plan), the hand-written ``site/`` files, the banner
include, the quarter's download CSVs, a generated Archive page, ``provenance.json`` and one
notebook per page. The notebooks are the executed ones, with only the Markdown view of each page part kept
(``fragments.for_quarto``) and the files those parts publish written to ``data/``. Until the
notebooks are executed, each page is a placeholder holding its front matter only, so that a
render can start early (see ``helpers.quarto``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import yaml

from ..core.language import pending_plain
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter, quarters_named
from ..page.fragments import esc, md
from ..params.pages import ARCHIVE_SOURCE, DERIVED_CONFIG, SitePage, front_matter, site_config
from ..params.prose import Prose
from ..params.quarters import QuarterParams, read_publication
from ..params.settings import Settings
from ..translation.edition import Edition

_FIG_ALT = re.compile(r"^#\|\s*fig-alt\s*:\s*\S", re.MULTILINE)
_NO_OUTPUT = re.compile(r"^#\|\s*output\s*:\s*false\s*$", re.MULTILINE)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def force_remove(function: Any, path: str, _: Any) -> None:
    """``shutil.rmtree`` error handler for read-only archive files."""
    os.chmod(path, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
    function(path)


def archived_quarters(site: Path) -> list[FiscalQuarter]:
    folder = site / "archive"
    if not folder.exists():
        return []
    return quarters_named(child.name for child in folder.iterdir())


def hand_written_config(paths: ProjectPaths) -> dict[str, Any]:
    """``_quarto.yml`` as kept in the repository; refuses the parts the plan decides."""
    from ..core.config import fail

    config = yaml.safe_load(paths.quarto_config.read_text()) or {}
    for key in DERIVED_CONFIG:
        value: Any = config
        for part in key:
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            name = ".".join(key)
            raise fail(
                "_quarto.yml",
                name,
                "this is set by hand, but it comes from params/plan.yml and the edition's language",
                f"delete {name}: it is written into each edition's staged site (see the file's comment)",
            )
    return config


_OPENS = re.compile(r"""open_page\(\s*["']([^"']+)["']""")
_LANG_PARAMETER = re.compile(r"""^lang\s*=\s*["']""", re.MULTILINE)
_LANG_PASSED = re.compile(r"open_page\([^)]*\blang\s*=\s*lang\b", re.DOTALL)


def check_site_sources(paths: ProjectPaths, pages: list[SitePage]) -> None:
    """Every page the plan defines has its notebook, which opens that page (a copied notebook
    still opening the page it was copied from is caught), and ``_quarto.yml`` leaves the page
    list to the plan."""
    from ..core.config import fail

    for spec in pages:
        shown = str(spec.notebook.relative_to(paths.root))
        if not spec.notebook.exists():
            raise fail(
                shown,
                "(file)",
                f"the notebook for the {spec.label} page is missing",
                "copy a notebook of the same kind to this name and change the page it opens "
                "(README: Add an objective)",
            )
        cells = json.loads(spec.notebook.read_text(encoding="utf-8")).get("cells", [])
        code = "\n".join("".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
        opened = set(_OPENS.findall(code))
        if opened and opened != {spec.page}:
            raise fail(
                shown,
                "open_page",
                f"the notebook opens page {', '.join(sorted(opened))}, not {spec.page}",
                f'write open_page("{spec.page}", quarter, ...) in its first code cell',
            )
        if opened and not (_LANG_PARAMETER.search(code) and _LANG_PASSED.search(code)):
            raise fail(
                shown,
                "lang",
                "the notebook does not take the edition's language, so its page in every other "
                "language would be in English",
                'add lang = "en" to its parameters cell and pass lang=lang to open_page',
            )
    hand_written_config(paths)


def archive_page(
    quarters: list[FiscalQuarter],
    current: FiscalQuarter,
    edition: Edition,
    prose: Prose,
    translated: set[FiscalQuarter] | None = None,
) -> str:
    """The Archive page of an edition; it needs no notebook, so an early render starts with it.
    Another edition links to its own copy of each archived quarter (``translated``: the quarters
    published in its language), else to the English one, saying so."""
    t = edition.language
    rows = []
    for quarter in sorted(quarters, reverse=True):
        latest = " " + esc(t._("(latest)")) if quarter == current else ""
        span = t.quarter_span(quarter)
        link = t._("Report for {period}", period=span)
        if edition.is_source or translated is None or quarter in translated or quarter == current:
            href = f"{edition.up}archive/{quarter.id}/{edition.prefix}index.html"
        else:
            href = f"{edition.up}archive/{quarter.id}/index.html"
            link = t._("Report for {period} (in English)", period=span)
        rows.append(
            f'<tr><th scope="row">{esc(t.quarter(quarter))}</th><td>{esc(span)}</td>'
            f'<td><a href="{href}">{esc(link)}</a>{latest}</td></tr>'
        )
    head = "".join(
        f'<th scope="col">{esc(c)}</th>' for c in (t._("Quarter"), t._("Months covered"), t._("Report"))
    )
    region = esc(t._("Published quarters"))
    caption = esc(t._("Published quarterly reports, newest first"))
    table = (
        f'<div class="table-responsive" tabindex="0" role="region" aria-label="{region}">'
        '<table class="table table-sm" data-quarto-disable-processing="true">'
        f"<caption>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    meta = {
        "title": t._("Archive of quarterly reports"),
        "subtitle": t._("Quarterly report: {period}", period=t.quarter_long(current)),
        "description": t._("Every published quarter of the report, kept as it was published."),
    }
    # Escaped for Pandoc, except quotes: they only become typographic quotes there.
    paragraphs = (md(p).replace("\\'", "'").replace('\\"', '"') for p in prose.paragraphs("archive"))
    text = "\n\n".join(paragraphs)
    page = (
        "---\n"
        + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
        + "---\n\n"
        + text
        + "\n\n```{=html}\n"
        + table
        + "\n```\n"
    )
    return pending_plain(page)


def stage_common(settings: Settings, pages: list[SitePage], sample: bool, staging: Path) -> None:
    """A fresh folder with the edition's site configuration, the hand-written assets and the
    banner include: what a render needs before any data (the CSVs come with ``stage_data``)."""
    paths = settings.paths
    if staging.exists():
        shutil.rmtree(staging, onerror=force_remove)
    staging.mkdir(parents=True)
    config = site_config(hand_written_config(paths), pages, settings)
    (staging / "_quarto.yml").write_text(
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8"
    )
    shutil.copytree(paths.site_assets, staging / "site")
    endpoint = settings.open_data.feedback.endpoint
    if endpoint:  # the feedback form may post to the City's endpoint, and nowhere else
        from urllib.parse import urlsplit

        origin = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
        head = staging / "site" / "head.html"
        head.write_text(
            head.read_text(encoding="utf-8").replace("form-action 'self'", f"form-action 'self' {origin}"),
            encoding="utf-8",
        )
    from ..page.story import sample_banner  # pandas and matplotlib: not for a run with nothing to do

    lang = settings.edition.language
    banner = sample_banner(lang) if sample else "<!-- built from City records: no sample-data banner -->"
    (staging / "site" / "banner.html").write_text(banner + "\n", encoding="utf-8")
    (staging / "data").mkdir()


def stage_site(
    settings: Settings, quarter: FiscalQuarter, sample: bool, pages: list[SitePage], staging: Path
) -> None:
    """Everything of one edition that does not depend on this run's data: Quarto may start
    rendering now. ``settings`` are in the edition's language.

    Each page is a placeholder with its front matter only, and ``provenance.json`` is empty,
    until ``stage_data`` and ``stage_notebook`` put the real ones in place (Quarto lists its
    resources when it starts, and copies them when it has rendered every page).
    """

    lang = settings.edition.language
    stage_common(settings, pages, sample, staging)
    for spec in pages:
        cell = {
            "cell_type": "raw",
            "id": "front-matter",
            "metadata": {},
            "source": front_matter(spec, quarter, lang),
        }
        placeholder = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (staging / spec.source).parent.mkdir(parents=True, exist_ok=True)
        (staging / spec.source).write_text(json.dumps(placeholder))
    site, edition = settings.paths.site, settings.edition
    quarters = archived_quarters(site)
    translated = set(settings.paths.archived_with(edition.prefix + "index.html"))
    if quarter not in quarters:
        quarters.append(quarter)
    page = archive_page(quarters, quarter, edition, settings.prose, translated)
    (staging / ARCHIVE_SOURCE).write_text(page, encoding="utf-8")
    (staging / "provenance.json").write_text("{}\n")


def stage_data(
    settings: Settings, quarter: FiscalQuarter, params: QuarterParams, code_version: str, staging: Path
) -> None:
    """The quarter's download CSVs (in the edition's language) and the provenance record of what
    is published."""
    from ..core.config import fail

    code = settings.edition.code
    publication = read_publication(settings.paths, quarter)
    if publication is None or (not settings.edition.is_source and code not in publication.translated_csv):
        raise fail(
            str(settings.paths.publication(quarter)),
            "(file)",
            f"the tables of {quarter.id} have not been built"
            + ("" if publication is None else f" for '{code}'"),
            f"run `python -m helpers run --quarter {quarter.id}`",
        )
    folder = settings.paths.quarter_dir(quarter) / "csv"
    if not settings.edition.is_source:
        folder = folder / code
    for csv in sorted(folder.glob("*.csv")):
        shutil.copy2(csv, staging / "data" / csv.name)
    hashes = (
        {k: v.csv_sha256 for k, v in publication.measures.items()}
        if settings.edition.is_source
        else publication.translated_csv[code]
    )
    provenance = {
        **params.facts(),
        "sample_data": publication.sample_data,
        "code_version": code_version,
        "csv_sha256": {f"data/{k}.csv": v for k, v in hashes.items()},
    }
    (staging / "provenance.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    stage_open_data(settings, publication, params, folder, staging)


def stage_open_data(
    settings: Settings, publication: Any, params: QuarterParams, csv_folder: Path, staging: Path
) -> None:
    """Each measure's machine-readable CSV and metadata, the data package and the catalogue."""
    import csv

    from ..measures.publication import OPEN_FOLDER
    from ..params.open_data import refuse_sample_settings
    from ..params.pages import MEASURES_FOLDER
    from .catalogue import catalogue, data_package, measure_metadata, write_json

    refuse_sample_settings(settings.open_data, publication.sample_data)
    target = staging / MEASURES_FOLDER
    target.mkdir(exist_ok=True)
    temporal, archived = {}, {}
    prefix = settings.edition.prefix
    for measure in settings.plan.measures:
        source = csv_folder / OPEN_FOLDER / f"{measure.id}.csv"
        shutil.copy2(source, target / source.name)
        with source.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows:
            temporal[measure.id] = (
                f"{min(r['period_start'] for r in rows)}/{max(r['period_end'] for r in rows)}"
            )
        write_json(
            target / f"{measure.id}.metadata.json", measure_metadata(settings, measure, publication, params)
        )
        archived[measure.id] = [
            q
            for q in reversed(settings.paths.archived_with(f"{prefix}{MEASURES_FOLDER}/{source.name}"))
            if q != publication.quarter
        ]
    write_json(staging / "datapackage.json", data_package(settings, publication, params))
    write_json(staging / "data.json", catalogue(settings, publication, params, temporal, archived))


def stage_notebook(source: Path, target: Path, spec: SitePage, data: Path) -> list[str]:
    """Copy one executed notebook for Quarto: fragments keep their Markdown view only, the files
    they publish go to ``data/``, and any image without alt text is reported by page and cell."""
    import nbformat

    from ..page.fragments import for_quarto

    notebook = nbformat.read(source, as_version=4)
    problems = []
    for name, text in for_quarto(notebook):
        # "/measures/x/embed.html" is a path from the edition's root; other names go to data/
        path = data.parent / name.lstrip("/") if name.startswith("/") else data / name
        if path.exists():
            problems.append(f"{spec.label}: the download {name} is published twice; give the figure a name=")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    positions = _source_positions(spec.notebook)
    for cell in notebook.cells:
        tags = set(cell.metadata.get("tags", []))
        removed = tags & {"remove-cell", "remove-output"} or _NO_OUTPUT.search(cell.source)
        if cell.cell_type != "code" or _FIG_ALT.search(cell.source) or removed:
            continue
        if any(set(IMAGE_TYPES) & set(o.get("data", {})) for o in cell.get("outputs", [])):
            where = positions.get(cell.get("id"), "?")
            problems.append(
                f"{spec.label} ({spec.notebook.name}), cell {where}: a figure has no alt text. "
                "Publish it with page.figure(fig, caption=..., data=...) (alt text, table and CSV "
                "included), or add a `#| fig-alt: <what the figure shows>` line to the cell."
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f".{target.name}.tmp")
    nbformat.write(notebook, str(scratch))
    os.replace(scratch, target)  # an early render never reads half a notebook
    return problems


def _source_positions(notebook: Path) -> dict[str, int]:
    """Cell id -> position (1-based) in the notebook as the analyst sees it in JupyterLab."""
    import nbformat

    if not notebook.exists():
        return {}
    cells = nbformat.read(notebook, as_version=4).cells
    return {cell.get("id"): i for i, cell in enumerate(cells, start=1)}
