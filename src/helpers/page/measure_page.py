"""A measure's own page (``measures/<id>.html``), its embed and its structured data.

The page tells one measure whole: the verdict and figures, the chart with its process limits,
the data table, what the measure is and how it is made, where the report shows it, its data
and metadata files, a snippet to embed the chart, its frozen copies in earlier quarters, what
residents said about it and what was done, and a way to say whether it was clear. The embed
(``measures/<id>/embed.html``) is the chart alone for an iframe on another site: title, one
sentence, the image with its alt text, links to the table and CSV, no site chrome.

Every page is built from the one template notebook ``notebooks/measure.ipynb``; ids are
permanent, so a retired measure keeps a page that says so and links its last archive.
"""

from __future__ import annotations

import json

from ..core.language import pending_plain
from ..core.periods import FiscalQuarter
from ..measures.gate import gate_counts
from ..params.pages import MEASURES_FOLDER, where_shown
from .data import PageData
from .feedback import feedback_blocks
from .fragments import Block, Fragment, Heading, Html, esc
from .parts import about_list, figure_html, measure_figures, summary, text_table
from .story import sample_banner

EMBED_HEIGHT = 560  # pixels: the chart, its title, one sentence and the links at phone width


def measure_id_of(page: PageData) -> str:
    measure = page.site_page.measure
    if measure is None:
        raise ValueError(f"{page.page} is not a measure page")
    return measure


def archived_copies(page: PageData, measure_id: str) -> list[FiscalQuarter]:
    """The published quarters whose frozen copy has this measure's page, newest first (the
    current quarter's copy is made when this build is published)."""
    name = f"{page.settings.edition.prefix}{MEASURES_FOLDER}/{measure_id}.html"
    found = page.settings.paths.archived_with(name)
    return sorted({*found, page.quarter}, reverse=True)


def _archive_href(page: PageData, quarter: FiscalQuarter, name: str) -> str:
    prefix = page.settings.edition.prefix
    up = page.site_page.root + "../" * prefix.count("/")  # to the site's root
    return f"{up}archive/{quarter.id}/{prefix}{MEASURES_FOLDER}/{name}"


# --------------------------------------------------------------------------------------------
# The page


def measure_page(page: PageData) -> Fragment:
    measure_id = measure_id_of(page)
    if measure_id not in page.settings.plan.measures_by_id:
        return retired_page(page, measure_id)
    # the summary and the chart serve the page and its embed: computed and drawn once
    lead, figure = summary(page, measure_id), figure_html(page, measure_id)
    blocks: list[Block] = [
        Heading(2, page.lang._("Latest figures"), "latest"),
        Html("\n".join(measure_figures(page, measure_id, lead, figure))),
        *_about(page, measure_id),
        *_in_report(page, measure_id),
    ]
    blocks += _downloads(page, measure_id)
    blocks += _earlier(page, measure_id)
    blocks += you_said_we_did(page, [measure_id], level=2)
    blocks += feedback_blocks(page, measure_id)
    blocks.append(Html(json_ld(page, measure_id)))
    embed = embed_document(page, measure_id, lead, figure)
    return Fragment(blocks, {f"/{MEASURES_FOLDER}/{measure_id}/embed.html": embed})


def _about(page: PageData, measure_id: str) -> list[Block]:
    t = page.lang
    listing = about_list(page, page.measure(measure_id), page.measure_status(measure_id), full=True)
    return [Heading(2, t._("About this measure"), "about-this-measure"), Html(listing)]


def _in_report(page: PageData, measure_id: str) -> list[Block]:
    t = page.lang
    root = page.site_page.root
    place = where_shown(page.settings)[measure_id]
    anchor = f"#{place.anchor}" if place.anchor else ""
    links = [f'<li><a href="{esc(root + place.page + anchor)}">{esc(place.label)}</a></li>']
    districts = page.settings.plan.districts
    if districts is not None and measure_id in districts.measures and place.anchor != "district-panels":
        overview = t._("Police districts")
        links.append(f'<li><a href="{root}districts/index.html#district-panels">{esc(overview)}</a></li>')
    text = t._("The report tells this measure's story here:")
    return [
        Heading(2, t._("Where it appears in the report"), "in-the-report"),
        Html(f"<p>{esc(text)}</p><ul>{''.join(links)}</ul>"),
    ]


def embed_snippet(page: PageData, measure_id: str) -> str:
    """The iframe a newsroom or a neighbourhood site pastes to show the chart."""
    measure = page.measure(measure_id)
    url = page.settings.open_data.url(
        f"{page.settings.edition.prefix}{MEASURES_FOLDER}/{measure_id}/embed.html"
    )
    return (
        f'<iframe src="{esc(url)}" title="{esc(measure.caption)}" width="100%" '
        f'height="{EMBED_HEIGHT}" style="border:0" loading="lazy"></iframe>'
    )


def _downloads(page: PageData, measure_id: str) -> list[Block]:
    t = page.lang
    up = page.site_page.root
    items = [
        (
            f"{measure_id}.csv",
            t._("The data, machine-readable (CSV, the same column names in every quarter)"),
        ),
        (
            f"{measure_id}.metadata.json",
            t._("What the data means: definition, method, source and columns (JSON)"),
        ),
        (f"{measure_id}/embed.html", t._("The chart alone, to embed in another site")),
        (f"{up}datapackage.json", t._("Every measure's data as one Frictionless Data Package")),
        (f"{up}data.json", t._("The catalogue of every measure, for open-data portals (DCAT-US)")),
    ]
    listing = "".join(f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for href, text in items)
    label = t._("Embed this chart: copy this code into your page")
    snippet = embed_snippet(page, measure_id)
    licence = page.settings.open_data.licence
    licence_line = t._("Free to reuse under {licence}.", licence=licence.name)
    body = (
        f"<ul>{listing}</ul>"
        f'<p><a href="{esc(licence.url)}">{esc(licence_line)}</a></p>'
        f'<p id="embed-label-{esc(measure_id)}">{esc(label)}</p>'
        f'<pre class="embed-snippet" tabindex="0" aria-labelledby="embed-label-{esc(measure_id)}">'
        f"<code>{esc(snippet)}</code></pre>"
    )
    return [Heading(2, t._("Data, metadata and embedding"), "downloads"), Html(body)]


def _earlier(page: PageData, measure_id: str) -> list[Block]:
    t = page.lang
    items = []
    for quarter in archived_copies(page, measure_id):
        text = t._("As published for {period}", period=t.quarter_long(quarter))
        if quarter == page.quarter:
            text = t._("{text} (this quarter, frozen: cite this copy)", text=text)
        items.append(
            f'<li><a href="{esc(_archive_href(page, quarter, measure_id + ".html"))}">{esc(text)}</a></li>'
        )
    intro = t._(
        "Each quarter's page is kept as it was published, with its data, so that a citation "
        "always shows the same figures."
    )
    return [
        Heading(2, t._("Earlier quarters"), "earlier-quarters"),
        Html(f"<p>{esc(intro)}</p><ul>{''.join(items)}</ul>"),
    ]


def you_said_we_did(page: PageData, measure_ids: list[str], level: int) -> list[Block]:
    """The quarter's reviewed feedback counts and what the City did, through the privacy gate:
    counts of people below the floor are hidden together; no resident's words are published."""
    t = page.lang
    reviews = {m: page.params.you_said_we_did[m] for m in measure_ids if m in page.params.you_said_we_did}
    if not reviews:
        return []
    floor = page.settings.privacy.floor
    head = [t._("Measure"), t._("Responses"), t._("Found it clear"), t._("Did not")]
    rows, actions = [], []
    for measure_id, review in reviews.items():
        counts = gate_counts(
            {"responses": review.responses, "yes": review.clear_yes, "no": review.clear_no}, floor
        )
        caption = page.measure(measure_id).caption
        rows.append(
            [caption, *(page.suppressed_text if v is None else t.number(v, 0) for v in counts.values())]
        )
        actions.append(f"<dt>{esc(caption)}</dt><dd>{esc(review.action)}</dd>")
    caption = t._(
        "You said, we did: feedback this quarter and what was done, {period}",
        period=t.quarter_long(page.quarter),
    )
    region = t._("You said, we did")
    note = t._(
        "Counts of the feedback staff reviewed this quarter. Residents' own words are never published; "
        "a count below {floor} is shown as \u201c{hidden}\u201d with the counts beside it.",
        floor=floor,
        hidden=page.suppressed_text,
    )
    did = t._("What we did")
    table = (
        f"<p>{esc(note)}</p>"
        f'<div class="table-responsive" tabindex="0" role="region" aria-label="{esc(region)}">'
        + text_table(caption, head, rows)
        + f'</div><p class="you-said-we-did-actions"><strong>{esc(did)}</strong></p>'
        + f'<dl class="you-said-we-did">{"".join(actions)}</dl>'
    )
    return [Heading(level, region, "you-said-we-did"), Html(table)]


def retired_page(page: PageData, measure_id: str) -> Fragment:
    """A retired measure keeps its address: what it was, why it stopped, its last frozen copy."""
    t = page.lang
    retired = next(r for r in page.settings.plan.retired_measures if r.id == measure_id)
    last = FiscalQuarter.parse(retired.last_quarter)
    text = t._(
        "This measure is no longer reported: {reason}. It was last published for {period}.",
        reason=retired.reason,
        period=t.quarter_long(last),
    )
    copy = page.settings.paths.site / "archive" / last.id / page.settings.edition.prefix / MEASURES_FOLDER
    parts = [f"<p>{esc(text)}</p>"]
    if (copy / f"{measure_id}.html").exists():
        link = t._("The measure as last published, with its data")
        parts.append(
            f'<p><a href="{esc(_archive_href(page, last, measure_id + ".html"))}">{esc(link)}</a></p>'
        )
    else:
        before = t._("That quarter was published before measures had their own pages; see the Archive.")
        archive = t._("Archive of quarterly reports")
        parts.append(f"<p>{esc(before)}</p>")
        parts.append(f'<p><a href="{page.site_page.root}archive.html">{esc(archive)}</a></p>')
    return Fragment([Heading(2, t._("No longer reported"), "retired"), Html("".join(parts))])


# --------------------------------------------------------------------------------------------
# Structured data and the embed


def json_ld(page: PageData, measure_id: str) -> str:
    """schema.org ``Dataset`` for search engines (Google Dataset Search reads it)."""
    measure = page.measure(measure_id)
    settings = page.settings
    open_data = settings.open_data
    rows = page.rows(measure_id)
    prefix = settings.edition.prefix
    base = f"{prefix}{MEASURES_FOLDER}/{measure_id}"
    source = settings.sources.sources[measure.source]
    publisher = {
        "@type": "Organization",
        "name": f"City of Durham, NC: {settings.plan.publisher.department}",
        "url": settings.plan.publisher.home_url,
    }
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": measure.caption,
        "description": f"{measure.definition} {measure.method}",
        "url": open_data.url(base + ".html"),
        "identifier": open_data.url(base + ".html"),
        "license": open_data.licence.url,
        "isAccessibleForFree": True,
        "inLanguage": page.lang.code,
        "keywords": [*open_data.keywords, measure.short_label],
        "variableMeasured": measure.value_label,
        "creator": publisher,
        "publisher": publisher,
        "sourceOrganization": {"@type": "Organization", "name": source.publisher},
        "spatialCoverage": {"@type": "Place", "name": open_data.place},
        "dateModified": page.params.data_as_of.isoformat(),
        "distribution": [
            {
                "@type": "DataDownload",
                "encodingFormat": "text/csv",
                "contentUrl": open_data.url(base + ".csv"),
            },
            {
                "@type": "DataDownload",
                "encodingFormat": "application/json",
                "contentUrl": open_data.url(base + ".metadata.json"),
            },
        ],
    }
    if not rows.empty:
        data["temporalCoverage"] = f"{min(rows['period_start'])}/{max(rows['period_end'])}"
    text = pending_plain(json.dumps(data, ensure_ascii=False))  # JSON carries no markup
    return '<script type="application/ld+json">' + text.replace("</", "<\\/") + "</script>"


def embed_document(page: PageData, measure_id: str, lead: str, figure: str) -> str:
    """The chart alone, as a whole HTML document for an iframe on any site: its title, ``lead``
    (the summary sentence) and ``figure``, as on the measure's page."""
    t = page.lang
    measure = page.measure(measure_id)
    head = page.settings.paths.site_assets / "head.html"
    policy = head.read_text(encoding="utf-8") if head.exists() else ""
    table_link = t._("Data table")
    csv_link = t._("Download the data (CSV)")
    banner = sample_banner(t) if page.sample else ""
    site = t._("From the City of Durham's quarterly report")
    body = (
        f"<main>{banner}<h1>{esc(measure.caption)}</h1>"
        f'<p class="summary">{esc(lead)}</p>'
        f"{figure}"
        f'<p class="links"><a href="../{esc(measure_id)}.html#latest" target="_blank" rel="noopener">'
        f"{esc(table_link)}</a> · "
        f'<a href="../{esc(measure_id)}.csv" target="_blank" rel="noopener">{esc(csv_link)}</a> · '
        f'<a href="../{esc(measure_id)}.html" target="_blank" rel="noopener">{esc(site)}</a></p>'
        "</main>"
    )
    style = (
        "body{margin:0;padding:.5rem;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
        "color:#1a1a1a;background:#fff;line-height:1.45}h1{font-size:1.15rem;margin:0 0 .35rem}"
        "p{margin:.35rem 0;font-size:.95rem}img{max-width:100%;height:auto}figure{margin:.5rem 0}"
        "figcaption{font-size:.85rem;color:#3d3d3d}a{color:#0b5394}"
        ".sample-data-banner{border-left:4px solid #8a5300;padding-left:.5rem}"
    )
    document = (
        f'<!DOCTYPE html>\n<html lang="{esc(t.code)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{policy}'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(measure.caption)}</title><style>{style}</style></head>"
        f"<body>{body}</body></html>\n"
    )
    return pending_plain(document) if not t.is_source else document
