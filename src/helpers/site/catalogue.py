"""Each edition's open-data files: every measure's metadata (``measures/<id>.metadata.json``),
the Frictionless Data Package listing every measure CSV with its Table Schema
(``datapackage.json``) and the DCAT-US 1.1 catalogue portals harvest (``data.json``).

All three are written from the plan, the sources, ``params/open_data.yml`` and the quarter's
publication record, and the field descriptions of ``helpers.measures.open_data``: the CSVs they
describe are the ones the measures stage wrote, so the descriptions cannot drift from the data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.language import Language, pending_plain
from ..core.periods import FiscalQuarter
from ..core.records import Publication
from ..measures.open_data import FIELDS, MISSING_VALUES
from ..params.measure import Measure
from ..params.pages import MEASURES_FOLDER
from ..params.quarters import QuarterParams
from ..params.settings import Settings

DATA_PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
DCAT_US = "https://project-open-data.cio.gov/v1.1/schema"
QUARTERLY = "R/P3M"


def _rules(t: Language) -> list[str]:
    return [
        t._("A point outside the process limits."),
        t._("A run of points on one side of the average (a shift)."),
        t._("A run of points going up, or going down (a trend)."),
        t._("Two of three points close to a process limit, on the same side."),
    ]


def _fields(t: Language) -> list[dict[str, str]]:
    """The open CSV's columns, described in the edition's language (a Table Schema's fields)."""
    return [{"name": f.name, "type": f.type, "description": t._(f.description)} for f in FIELDS]


def _process(measure: Measure, t: Language) -> dict[str, Any]:
    """How the measure's changes are judged: its process chart, the rules and the dates its
    limits start again, or why it is not judged."""
    if measure.process.chart == "none":
        return {"chart": "none", "reason": measure.process.reason}
    return {
        "chart": measure.process.chart,
        "rules": _rules(t),
        "changes": [{"date": c.date.isoformat(), "reason": c.reason} for c in measure.process.changes],
    }


def measure_metadata(
    settings: Settings, measure: Measure, publication: Publication, params: QuarterParams
) -> dict[str, Any]:
    """What one measure's data means, for people and programs: ``measures/<id>.metadata.json``."""
    t = settings.edition.language
    open_data = settings.open_data
    source = settings.sources.sources[measure.source]
    info = publication.measures[measure.id]
    base = f"{settings.edition.prefix}{MEASURES_FOLDER}/{measure.id}"
    target = measure.target.model_dump(include={"label", "value", "source"}) if measure.target else None
    return {
        "id": measure.id,
        "title": measure.caption,
        "description": measure.definition,
        "definition": measure.definition,
        "method": measure.method,
        "source": {"title": source.title, "publisher": source.publisher, "description": source.description},
        "unit": measure.value_label,
        "period": measure.grain,
        "chart_type": measure.chart.type,
        "process_limits": _process(measure, t),
        "better": measure.better,
        "target": target,
        "caveats": list(measure.caveats),
        "privacy": {
            "counts": measure.privacy,
            "floor": settings.privacy.floor,
            "rule": t._(
                "Counts of people or of events involving people are 0 or at least {floor}; smaller "
                "ones are hidden, with any number that would give them away.",
                floor=settings.privacy.floor,
            ),
        },
        "quarter": publication.quarter.id,
        "data_through": info.data_through,
        "data_as_of": params.data_as_of.isoformat(),
        "next_update": params.next_update.isoformat(),
        "status": info.status,
        "licence": {"id": open_data.licence.id, "name": open_data.licence.name, "url": open_data.licence.url},
        "language": t.code,
        "sample_data": publication.sample_data,
        "columns": _fields(t),
        "missing_values": list(MISSING_VALUES),
        "urls": {
            "page": open_data.url(base + ".html"),
            "csv": open_data.url(base + ".csv"),
            "metadata": open_data.url(base + ".metadata.json"),
            "embed": open_data.url(f"{base}/embed.html"),
        },
    }


def data_package(settings: Settings, publication: Publication, params: QuarterParams) -> dict[str, Any]:
    """Frictionless Data Package v2: every measure CSV with its Table Schema."""
    t = settings.edition.language
    open_data = settings.open_data
    fields = _fields(t)
    resources = [
        {
            "name": m.id.replace("_", "-"),
            "type": "table",
            "path": f"{MEASURES_FOLDER}/{m.id}.csv",
            "scheme": "file",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "title": m.caption,
            "description": f"{m.definition} {m.method}",
            "schema": {"fields": fields, "missingValues": list(MISSING_VALUES)},
        }
        for m in settings.plan.measures
    ]
    return {
        "$schema": DATA_PACKAGE_PROFILE,
        "name": "durham-goal-2-" + settings.edition.code,
        "title": settings.plan.publisher.site_title,
        "description": t._(
            "The City of Durham's quarterly report on Strategic Plan Goal 2: data, initiatives and progress."
        ),
        "version": publication.quarter.id,
        "created": params.data_as_of.isoformat() + "T00:00:00Z",
        "homepage": open_data.url(settings.edition.prefix + "index.html"),
        "keywords": open_data.keywords,
        "licenses": [
            {"name": open_data.licence.id, "path": open_data.licence.url, "title": open_data.licence.name}
        ],
        "resources": resources,
    }


def _organisation(settings: Settings) -> dict[str, Any]:
    return {
        "@type": "org:Organization",
        "name": f"City of Durham, NC: {settings.plan.publisher.department}",
    }


def _dataset(
    settings: Settings,
    measure: Measure,
    base: str,
    modified: str,
    temporal: str | None,
    part_of: str,
    title: str,
) -> dict[str, Any]:
    t = settings.edition.language
    open_data = settings.open_data
    dataset: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "title": title,
        "description": f"{measure.definition} {measure.method}",
        "keyword": [*open_data.keywords, measure.short_label],
        "modified": modified,
        "publisher": _organisation(settings),
        "contactPoint": _contact(settings),
        "identifier": open_data.url(base + ".html"),
        "accessLevel": "public",
        "license": open_data.licence.url,
        "spatial": open_data.place,
        "accrualPeriodicity": QUARTERLY,
        "landingPage": open_data.url(base + ".html"),
        "language": [f"{t.code}-US"],
        "theme": [t._("Public safety")],
        "describedBy": open_data.url(base + ".metadata.json"),
        "describedByType": "application/json",
        "isPartOf": part_of,
        "distribution": [
            {
                "@type": "dcat:Distribution",
                "title": t._("Data (CSV)"),
                "downloadURL": open_data.url(base + ".csv"),
                "mediaType": "text/csv",
                "format": "CSV",
                "describedBy": open_data.url(base + ".metadata.json"),
                "describedByType": "application/json",
            },
            {
                "@type": "dcat:Distribution",
                "title": t._("The measure's page"),
                "accessURL": open_data.url(base + ".html"),
                "mediaType": "text/html",
                "format": "HTML",
            },
        ],
    }
    if temporal:
        dataset["temporal"] = temporal
    return dataset


def _report_dataset(settings: Settings, params: QuarterParams, report_id: str) -> dict[str, Any]:
    """The quarterly report itself: the series every measure's dataset is part of."""
    t = settings.edition.language
    open_data = settings.open_data
    return {
        "@type": "dcat:Dataset",
        "title": t._("{title}: quarterly report", title=settings.plan.publisher.site_title),
        "description": t._(
            "The City of Durham's quarterly report on Strategic Plan Goal 2: data, initiatives and progress."
        ),
        "keyword": open_data.keywords,
        "modified": params.data_as_of.isoformat(),
        "publisher": _organisation(settings),
        "contactPoint": _contact(settings),
        "identifier": report_id,
        "accessLevel": "public",
        "license": open_data.licence.url,
        "spatial": open_data.place,
        "accrualPeriodicity": QUARTERLY,
        "landingPage": report_id,
        "language": [f"{t.code}-US"],
        "distribution": [
            {
                "@type": "dcat:Distribution",
                "title": t._("Every measure's data as one Frictionless Data Package"),
                "downloadURL": open_data.url(settings.edition.prefix + "datapackage.json"),
                "mediaType": "application/json",
                "format": "Data Package",
            }
        ],
    }


def _contact(settings: Settings) -> dict[str, str]:
    contact = settings.open_data.contact
    return {"@type": "vcard:Contact", "fn": contact.name, "hasEmail": f"mailto:{contact.email}"}


def catalogue(
    settings: Settings,
    publication: Publication,
    params: QuarterParams,
    temporal: dict[str, str],
    archived: dict[str, list[FiscalQuarter]],
) -> dict[str, Any]:
    """DCAT-US 1.1 ``data.json``: the report as a series, each measure a dataset in it, and each
    earlier quarter's frozen copy of a measure a dataset in the measure's series."""
    t = settings.edition.language
    open_data = settings.open_data
    prefix = settings.edition.prefix
    report_id = open_data.url(prefix + "index.html")
    report = _report_dataset(settings, params, report_id)
    datasets = [report]
    for measure in settings.plan.measures:
        base = f"{prefix}{MEASURES_FOLDER}/{measure.id}"
        current = _dataset(
            settings,
            measure,
            base,
            params.data_as_of.isoformat(),
            temporal.get(measure.id),
            report_id,
            measure.caption,
        )
        datasets.append(current)
        for quarter in archived.get(measure.id, []):
            frozen = f"archive/{quarter.id}/{prefix}{MEASURES_FOLDER}/{measure.id}"
            title = t._(
                "{caption}, as published for {period}",
                caption=measure.caption,
                period=t.quarter_long(quarter),
            )
            copy = _dataset(
                settings, measure, frozen, quarter.end.isoformat(), None, current["identifier"], title
            )
            copy["accrualPeriodicity"] = "irregular"
            datasets.append(copy)
    return {
        "@context": f"{DCAT_US}/catalog.jsonld",
        "@id": open_data.url(prefix + "data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": DCAT_US,
        "describedBy": f"{DCAT_US}/catalog.json",
        "dataset": datasets,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Sorted keys off (the order is the reading order), stable bytes for the same inputs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    path.write_text(pending_plain(text), encoding="utf-8")
