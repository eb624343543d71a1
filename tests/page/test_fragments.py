"""Page parts display in JupyterLab (HTML) and on the site (Markdown Quarto turns into headings)."""

from __future__ import annotations

import nbformat

from helpers.page.fragments import (
    FRAGMENT_KEY,
    Bullets,
    Fragment,
    Heading,
    Html,
    Quote,
    Strong,
    for_quarto,
    para,
)

HOSTILE = "<script>alert('x')</script> **bold** [link](http://evil.example)"


def fragment() -> Fragment:
    return Fragment(
        [
            Heading(2, "2.13 Pilot & evaluate", "initiative-2-13"),
            para(Strong("Reporting period:"), " July to September 2026."),
            para(HOSTILE),
            Bullets(("one", HOSTILE)),
            Quote("About 85% of first responders", "Source: Kaiser Permanente"),
            Html('<figure><img src="data:image/png;base64,AAAA" alt="A chart"></figure>'),
        ],
        downloads={"objective-2-1-x.csv": "a,b\n1,2\n"},
    )


def test_a_fragment_is_html_for_jupyter_and_markdown_for_quarto():
    data, meta = fragment()._repr_mimebundle_()
    assert set(data) == {"text/html", "text/markdown"}
    html, markdown = data["text/html"], data["text/markdown"]
    # JupyterLab and nbconvert show HTML: real headings, images, no Pandoc syntax.
    assert '<h2 id="initiative-2-13">2.13 Pilot &amp; evaluate</h2>' in html
    assert "<p><strong>Reporting period:</strong> July to September 2026.</p>" in html
    assert "{=html}" not in html and "```" not in html and "{#" not in html
    assert '<img src="data:image/png;base64,AAAA" alt="A chart">' in html
    # Quarto reads Markdown: the heading keeps its anchor for the table of contents, and our
    # HTML is a raw block that Quarto passes through untouched.
    assert "## 2\\.13 Pilot \\& evaluate {#initiative-2-13}" in markdown
    assert "```{=html}\n<figure>" in markdown
    assert meta == {FRAGMENT_KEY: {"fragment": True, "downloads": {"objective-2-1-x.csv": "a,b\n1,2\n"}}}


def test_text_from_yaml_or_data_is_escaped_in_both_views():
    data, _ = fragment()._repr_mimebundle_()
    assert "<script>" not in data["text/html"] and "&lt;script&gt;" in data["text/html"]
    assert "<script>" not in data["text/markdown"] and "\\<script\\>" in data["text/markdown"]
    assert "\\*\\*bold\\*\\*" in data["text/markdown"] and "\\[link\\]" in data["text/markdown"]


def test_the_site_stage_keeps_only_markdown_and_collects_downloads():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("page.key_measures('2.13')")
    data, meta = fragment()._repr_mimebundle_()
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=data, metadata=meta),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>an analyst's own table</p>"}),
    ]
    notebook.cells = [cell]
    downloads = for_quarto(notebook)
    assert set(cell.outputs[0]["data"]) == {"text/markdown"}
    assert cell.outputs[1]["data"] == {"text/html": "<p>an analyst's own table</p>"}  # left alone
    assert downloads == [("objective-2-1-x.csv", "a,b\n1,2\n")]


def test_fragments_add_up_in_order():
    both = Fragment([para("a")], {"x.csv": "1"}) + Fragment([para("b")], {"y.csv": "2"})
    assert both.markdown() == "\na\n\nb\n"
    assert both.downloads == {"x.csv": "1", "y.csv": "2"}
