"""``params/open_data.yml``: the site's address, its licence, the catalogue's contact point and
where residents' feedback goes. Read by the measure pages, the data package and the catalogue.

The shipped file suits the sample build (a local address, an example.org contact); a run on City
records refuses to publish with them (``refuse_sample_settings``), so a real quarter never goes
out naming a contact nobody reads.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from ..core.config import StrictModel, fail, load_model

_EMAIL = re.compile(r"^[\w.+~!$&'*=-]+@[\w-]+(\.[\w-]+)+$")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")


def _local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def _web_address(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(f"{value!r} is not a web address. Fix: write the full https:// address of {what}")
    if parts.scheme == "http" and not _local(value):
        raise ValueError(
            f"{value!r} is not encrypted. Fix: use https:// (http:// only for this machine, 127.0.0.1)"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{value!r} has a query or fragment. Fix: give the plain address of {what}")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address. Fix: write it as name@durhamnc.gov")
    return value


class Licence(StrictModel):
    id: str = Field(pattern=r"^[-a-zA-Z0-9._]+$")  # an SPDX id, as data packages name licences
    name: str = Field(min_length=3)
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _web_address(value, "the licence's text")


class Contact(StrictModel):
    name: str = Field(min_length=2)
    email: str

    @field_validator("email")
    @classmethod
    def _check(cls, value: str) -> str:
        return _email(value)


class FeedbackSettings(StrictModel):
    endpoint: str | None = None
    email: str | None = None
    comment_max_length: int = Field(default=500, ge=50, le=5000)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return None if value is None else _web_address(value, "the server that receives the form")

    @field_validator("email")
    @classmethod
    def _mail(cls, value: str | None) -> str | None:
        return None if value is None else _email(value)

    @property
    def channel(self) -> Literal["form", "email", "none"]:
        """The form when the City runs an endpoint, else a prefilled email, else nothing."""
        return "form" if self.endpoint else "email" if self.email else "none"


class OpenData(StrictModel):
    version: Literal[1]
    site_url: str
    licence: Licence
    contact: Contact
    keywords: list[str] = Field(min_length=1)
    place: str = "Durham, North Carolina"  # the area every measure covers
    feedback: FeedbackSettings = FeedbackSettings()

    @field_validator("site_url")
    @classmethod
    def _site(cls, value: str) -> str:
        _web_address(value, "the published report")
        if not value.endswith("/"):
            raise ValueError(f"{value!r} must end with '/'. Fix: write {value}/")
        return value

    def url(self, path: str) -> str:
        """An absolute address on the site, from a path relative to its root."""
        return self.site_url + path.lstrip("/")

    def sample_settings(self) -> list[tuple[str, str]]:
        """The settings fit only for a sample build: (key, what is wrong)."""
        out = []
        if _local(self.site_url):
            out.append(("site_url", f"{self.site_url} is this machine, not where residents read the report"))
        if self.contact.email.lower().endswith(EXAMPLE_DOMAINS):
            out.append(("contact.email", f"{self.contact.email} reaches nobody"))
        endpoint = self.feedback.endpoint
        if endpoint and _local(endpoint):
            out.append(("feedback.endpoint", f"{endpoint} is this machine, which residents cannot reach"))
        email = self.feedback.email
        if email and email.lower().endswith(EXAMPLE_DOMAINS):
            out.append(("feedback.email", f"{email} reaches nobody"))
        return out


OPEN_DATA_FILE = "open_data.yml"


def load_open_data(path: Path) -> OpenData:
    return load_model(path, OpenData)


def refuse_sample_settings(open_data: OpenData, sample: bool) -> None:
    """City records are never published with the sample's addresses."""
    if sample:
        return
    problems = open_data.sample_settings()
    if problems:
        key, problem = problems[0]
        raise fail(
            f"params/{OPEN_DATA_FILE}",
            key,
            f"{problem}; this run publishes City records",
            "set the City's own address before publishing a real quarter (README: Open data and feedback)",
        )
