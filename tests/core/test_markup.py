"""Rendered pages are changed through an HTML parser: a tag is found where a parser finds it,
never inside a script, a comment or an attribute value, and the rest stays byte for byte."""

from __future__ import annotations

from helpers.core.markup import Document

PAGE = (
    "<!doctype html><html><head><title>x</title>"
    "<script>var t = '<body class=\"fake\">'; // </head> is text here</script></head>\n"
    '<!-- <nav class="navbar"> in a comment -->'
    '<body class="nav-fixed"><header id="h">'
    '<nav class="navbar navbar-expand" data-x=\'a>b\'><a href="archive/FY2026Q4/index.html">q</a></nav>'
    '<nav id="TOC" role="doc-toc" class="toc-active"></nav>'
    '<img alt="<main> in alt" src="x.png"><main class="content">text</main></body></html>'
)


def test_tags_are_found_where_a_parser_finds_them():
    page = Document(PAGE)
    body = page.find("body")
    assert body is not None and body.attrs["class"] == "nav-fixed"  # not the one in the script
    navbar = page.find("nav", lambda t: (t.attrs.get("class") or "").startswith("navbar"))
    assert navbar is not None and navbar.attrs["data-x"] == "a>b"
    assert PAGE[page.end_of("head") :].startswith("</head>\n")  # the real one, after the script
    main = page.find("main")
    assert main is not None and PAGE[main.start : main.end] == '<main class="content">'


def test_changes_are_spliced_in_and_nothing_else_moves():
    page = Document(PAGE)
    page.add_attribute(page.find("body"), ' data-label="Site"')
    toc = page.find("nav", lambda t: t.attrs.get("id") == "TOC")
    page.add_attribute(toc, ' aria-label="On this page"', after="role")
    link = page.find("a")
    page.set_attribute(link, "href", "../../" + link.attrs["href"])
    page.after(page.find("main"), "<p>notice</p>")
    result = page.result()
    assert '<body data-label="Site" class="nav-fixed">' in result
    assert '<nav id="TOC" role="doc-toc" aria-label="On this page" class="toc-active">' in result
    assert '<a href="../../archive/FY2026Q4/index.html">' in result
    assert '<main class="content"><p>notice</p>text</main>' in result
    assert (
        result.replace("<p>notice</p>", "")
        .replace(' data-label="Site"', "")
        .replace(' aria-label="On this page"', "")
        .replace("../../archive", "archive")
        == PAGE
    )
    assert "var t = '<body class=\"fake\">'" in result  # the script is untouched


def test_pending_translation_marks_in_attributes_become_words():
    from helpers.core.language import pending, pending_html

    marked = pending("Police", "(traducción pendiente)")
    html = f'<img alt="{marked}"><p>{marked}</p>'
    out = pending_html(html)
    assert '<img alt="Police (traducción pendiente)">' in out
    assert '<p><span lang="en">Police</span> <span class="translation-pending">' in out
