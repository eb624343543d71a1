"""The feedback form's receiving end for the local server (``helpers serve``): what the sample
build's form posts to, and a model of what the City's endpoint must do.

It accepts only the form's own fields, drops a post whose honeypot is filled (a robot), cuts
nothing silently (an over-long comment is refused), keeps no address, browser or cookie, and
appends each accepted post to ``build/feedback/received.jsonl``, which is never published:
staff read it, count it by measure, and put the reviewed counts and what they did in the
quarter file (``you_said_we_did``).
"""

from __future__ import annotations

import http.server
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

from ..core.language import Language
from ..page.feedback import HONEYPOT, emergency_line
from ..page.fragments import esc

MAX_BODY = 16_384
FIELDS = ("measure", "quarter", "lang", "page", "clear", "comment")
_WRITING = threading.Lock()


def accept(body: bytes, limit: int, measures: set[str]) -> dict[str, str] | str | None:
    """The post's fields to keep; None for a robot's (honeypot filled); or the reason it is
    refused, in words."""
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if form.get(HONEYPOT, "").strip():
        return None
    unknown = set(form) - {*FIELDS, HONEYPOT}
    if unknown:
        return f"unexpected fields: {', '.join(sorted(unknown))}"
    if form.get("measure") not in measures:
        return "unknown measure"
    if form.get("clear", "") not in {"", "yes", "no"}:
        return "clear must be yes or no"
    if len(form.get("comment", "")) > limit:
        return f"the comment is longer than {limit} characters"
    if "?" in form.get("page", ""):
        return "the page is sent without a query string"
    return {name: form.get(name, "") for name in FIELDS}


def thanks_page(t: Language, back: str) -> str:
    heading = t._("Thank you")
    text = t._("Your feedback was received. Staff read every response; we cannot reply to it.")
    link = t._("Back to the page")
    return (
        f'<!DOCTYPE html><html lang="{esc(t.code)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(heading)}</title></head><body><main><h1>{esc(heading)}</h1><p>{esc(text)}</p>"
        f'<p><a href="{esc(back)}">{esc(link)}</a></p>{emergency_line(t)}</main></body></html>\n'
    )


def handler_class(
    folder: Path, inbox: Path, limit: int, measures: set[str], languages: dict[str, Language]
) -> type[http.server.SimpleHTTPRequestHandler]:
    """A static file handler for ``folder`` that also receives the feedback form at /feedback."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)  # type: ignore[arg-type]

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/feedback":
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self.send_error(413, "Feedback is limited to a short comment")
                return
            verdict = accept(self.rfile.read(length), limit, measures)
            if isinstance(verdict, str):
                self.send_error(400, verdict)
                return
            if verdict is not None:
                record = {"received": datetime.now(UTC).date().isoformat(), **verdict}
                with _WRITING:
                    inbox.parent.mkdir(parents=True, exist_ok=True)
                    with inbox.open("a", encoding="utf-8") as handle:
                        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            fields = verdict if isinstance(verdict, dict) else {}
            t = languages.get(fields.get("lang", ""), next(iter(languages.values())))
            page = thanks_page(t, fields.get("page") or "/").encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
