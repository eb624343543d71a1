"""The longer explanations live in Markdown that communications staff edit: checked when
loaded, with errors naming the file, line, section and fix, and translated like other texts."""

from __future__ import annotations

import shutil

import pytest

from helpers.core.config import ConfigError
from helpers.core.paths import ProjectPaths
from helpers.params.prose import PROSE_FILE, load_prose
from helpers.params.settings import load_settings
from helpers.translation.edition import edition

from ..conftest import REPO, copy_project_skeleton


def test_the_bundled_explanations_load_and_fill_in_the_privacy_floor():
    prose = load_prose(REPO / "params" / PROSE_FILE)
    [privacy] = prose.paragraphs("privacy", last=9, hidden="fewer than 10", people=10)
    assert "from 1 to 9 are shown as 'fewer than 10'" in privacy and "at least 10 people" in privacy


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace("## coverage\n", "## coverag\n"), "there is no such section"),
        (lambda t: t.replace("{people}", "{people.__class__}"), "only a plain name may be filled in"),
        (lambda t: t + "\n## archive\n\nTwice.\n", "written twice"),
    ],
    ids=["misspelt-section", "attribute-placeholder", "twice"],
)
def test_a_slip_names_the_file_the_line_and_the_section(tmp_path, change, words):
    path = tmp_path / "explanations.md"
    path.write_text(change((REPO / "params" / PROSE_FILE).read_text()))
    with pytest.raises(ConfigError) as caught:
        load_prose(path)
    message = str(caught.value)
    assert "explanations.md, line" in message and words in message


def test_an_edited_english_explanation_is_listed_until_its_translation_is_reviewed(tmp_path):
    paths = copy_project_skeleton(tmp_path / "p")
    english = paths.params / PROSE_FILE
    english.write_text(
        english.read_text().replace("is counted the same way every quarter", "is counted alike")
    )
    settings = load_settings(paths)
    spanish = settings.in_edition(edition(paths.params, "es"))
    assert [m.key for m in spanish.missing] == ["how_to_read"]
    assert spanish.missing[0].reason == "the English has changed since it was translated"
    shutil.rmtree(paths.params / "translations" / "es" / "prose")
    assert {
        m.key for m in load_settings(ProjectPaths(paths.root)).in_edition(edition(paths.params, "es")).missing
    } == {
        "how_to_read",
        "privacy",
        "coverage",
        "fiscal_years",
        "archive",
    }
