"""Feedback on a measure without tracking: a plain HTML form that works with JavaScript off,
posted to the endpoint the City sets in ``params/open_data.yml``; else a prefilled email; else
nothing. Never a third-party embed. The form sends the measure, quarter, language and page path
(no query string), "Was this clear?", an optional comment with a length limit, and a honeypot
field that people never see and spam robots fill in.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from ..core.language import Language
from .data import PageData
from .fragments import Block, Heading, Html, esc

HONEYPOT = "website"  # a field name robots like to fill


def emergency_line(t: Language) -> str:
    """On every page that asks for feedback: where emergencies and crime reports go instead."""
    text = t._("Not for emergencies or crime reports: call 911, or 919-560-4600 for non-emergencies.")
    return f'<p class="feedback-emergency"><strong>{esc(text)}</strong></p>'


def page_path(page: PageData) -> str:
    """The page's path on the site, from the site's root address: no host, no query string."""
    base = urlsplit(page.settings.open_data.site_url).path
    return base + page.settings.edition.prefix + page.site_page.html


def feedback_blocks(page: PageData, measure_id: str) -> list[Block]:
    """The feedback part of a measure page, or nothing when the City has no channel set."""
    settings = page.settings.open_data.feedback
    t = page.lang
    if settings.channel == "none":
        return []
    fields = {
        "measure": measure_id,
        "quarter": page.quarter.id,
        "lang": t.code,
        "page": page_path(page),
    }
    privacy = t._(
        "Do not include personal details such as your name, address, phone number or anything "
        "about a case: we cannot reply here."
    )
    heading = Heading(2, t._("Your feedback"), "feedback")
    if settings.channel == "email":
        lines = [f"{name}: {value}" for name, value in fields.items()]
        lines += [t._("Was this clear? (yes or no):"), t._("What could be clearer?"), ""]
        subject = t._("Feedback on {measure}", measure=page.measure(measure_id).caption)
        href = f"mailto:{settings.email}?subject={quote(subject)}&body={quote(chr(10).join(lines))}"
        link = t._("Email us about this measure")
        body = (
            f'<div class="measure-feedback"><p>{esc(privacy)}</p>'
            f'<p><a href="{esc(href)}">{esc(link)}</a></p>{emergency_line(t)}</div>'
        )
        return [heading, Html(body)]
    limit = settings.comment_max_length
    hidden = "".join(f'<input type="hidden" name="{k}" value="{esc(v)}">' for k, v in fields.items())
    yes, no = t._("Yes, it was clear"), t._("No, it was not clear")
    comment = t._("What could be clearer? (optional)")
    hint = t._("Up to {limit} characters.", limit=t.number(limit, 0)) + " " + privacy
    leave_empty = t._("Leave this field empty")
    send = t._("Send feedback")
    legend = t._("Was this page clear?")
    form = (
        f'<form class="measure-feedback" method="post" action="{esc(settings.endpoint)}" '
        'accept-charset="utf-8">' + hidden + f"<fieldset><legend>{esc(legend)}</legend>"
        '<div class="form-check form-check-inline">'
        '<input class="form-check-input" type="radio" name="clear" id="feedback-clear-yes" value="yes">'
        f'<label class="form-check-label" for="feedback-clear-yes">{esc(yes)}</label></div>'
        '<div class="form-check form-check-inline">'
        '<input class="form-check-input" type="radio" name="clear" id="feedback-clear-no" value="no">'
        f'<label class="form-check-label" for="feedback-clear-no">{esc(no)}</label></div></fieldset>'
        f'<label class="form-label" for="feedback-comment">{esc(comment)}</label>'
        f'<p class="form-text" id="feedback-comment-hint">{esc(hint)}</p>'
        f'<textarea class="form-control" id="feedback-comment" name="comment" rows="4" maxlength="{limit}" '
        'aria-describedby="feedback-comment-hint"></textarea>'
        f'<div class="feedback-honeypot" aria-hidden="true"><label for="feedback-{HONEYPOT}">'
        f"{esc(leave_empty)}</label>"
        f'<input type="text" id="feedback-{HONEYPOT}" name="{HONEYPOT}" tabindex="-1" autocomplete="off">'
        "</div>"
        f'<button type="submit" class="btn btn-primary">{esc(send)}</button>'
        "</form>"
    )
    return [heading, Html(form + emergency_line(t))]
