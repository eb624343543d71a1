"""params/open_data.yml: where the site lives, its licence, the contact, and the feedback channel;
a sample's settings never go out with City records."""

from __future__ import annotations

import pytest
import yaml

from helpers.core.config import ConfigError
from helpers.params.open_data import load_open_data, refuse_sample_settings

SHIPPED = {
    "version": 1,
    "site_url": "https://www.durhamnc.gov/safer-community/",
    "licence": {
        "id": "CC-BY-4.0",
        "name": "CC BY 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    },
    "contact": {"name": "Office of Performance and Innovation", "email": "opi@durhamnc.gov"},
    "keywords": ["public safety"],
    "feedback": {"endpoint": "https://forms.durhamnc.gov/report-feedback", "comment_max_length": 500},
}


def write(tmp_path, change=None):
    data = yaml.safe_load(yaml.safe_dump(SHIPPED))
    if change:
        change(data)
    path = tmp_path / "open_data.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_channel_is_the_form_else_email_else_nothing(tmp_path):
    assert load_open_data(write(tmp_path)).feedback.channel == "form"
    by_mail = load_open_data(
        write(tmp_path, lambda d: d["feedback"].update(endpoint=None, email="a@durhamnc.gov"))
    )
    assert by_mail.feedback.channel == "email"
    neither = load_open_data(write(tmp_path, lambda d: d.update(feedback={})))
    assert neither.feedback.channel == "none"


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (
            lambda d: d["feedback"].update(endpoint="http://forms.example.net/x"),
            "feedback.endpoint",
            "https://",
        ),
        (lambda d: d["feedback"].update(endpoint="https://x.org/f?id=1"), "feedback.endpoint", "query"),
        (lambda d: d["contact"].update(email="not an address"), "contact.email", "email address"),
        (lambda d: d.update(site_url="https://www.durhamnc.gov/report"), "site_url", "end with '/'"),
        (lambda d: d["feedback"].update(comment_max_length=20000), "feedback.comment_max_length", "5000"),
    ],
)
def test_a_wrong_setting_names_the_file_the_key_and_the_fix(tmp_path, change, key, words):
    with pytest.raises(ConfigError) as caught:
        load_open_data(write(tmp_path, change))
    message = str(caught.value)
    assert "open_data.yml" in message and f"key '{key}'" in message and words in message


def test_city_records_never_go_out_with_the_samples_addresses(tmp_path):
    shipped = load_open_data(write(tmp_path))
    refuse_sample_settings(shipped, sample=False)  # the City's own: fine
    local = load_open_data(
        write(
            tmp_path,
            lambda d: d.update(
                site_url="http://127.0.0.1:8000/", contact={"name": "x y", "email": "r@example.org"}
            ),
        )
    )
    refuse_sample_settings(local, sample=True)  # a sample build may
    with pytest.raises(ConfigError, match=r"site_url.*this machine"):
        refuse_sample_settings(local, sample=False)
