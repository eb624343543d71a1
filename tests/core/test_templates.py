"""Templates from params/ and translations fill in named values only: a quarter text once
published the pseudonymisation key through ``{change.__init__.__globals__...}``."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest
import yaml

from helpers.cli import main
from helpers.core.language import ENGLISH, Language
from helpers.core.templates import TemplateError, fill, names
from helpers.page.narrative import Change

from ..conftest import LATEST, copy_project_skeleton

SECRET_PROBE = "{change.__init__.__globals__[pd].io.common.os.environ[DURHAM_PSEUDONYM_KEY]}"
# Every way str.format could reach past a plain name, and malformed braces.
HOSTILE = [
    SECRET_PROBE,
    "{change.__class__}",
    "{before[0]}",
    "{before!r}",
    "{before:>99999999}",
    "{before:{after}}",
    "{0}",
    "{}",
    "{before",
    "before}",
    "{before.real}",
    "{before-1}",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_anything_but_a_plain_name_is_refused_naming_the_placeholder(template):
    with pytest.raises(TemplateError) as caught:
        names(template)
    assert caught.value.placeholder.startswith("{") or caught.value.placeholder == "(brace)"
    with pytest.raises(TemplateError):
        fill(template, {"before": 1.0, "after": 2.0, "change": Change(2, 1, ENGLISH)})


def test_plain_names_and_the_projects_specs_are_filled_by_lookup_only():
    values = {"before": 12.345, "who": "Police", "change": Change(80, 100, ENGLISH)}
    assert fill("{who}: {before:.1f}, {change}; {{literal}}", values) == "Police: 12.3, 20% fewer; {literal}"
    assert names("{a} and {b:.0f} and {a}") == {"a", "b"}
    with pytest.raises(KeyError, match="missing"):
        fill("{missing}", values)


def test_a_page_text_with_an_attribute_lookup_is_an_error_not_a_leak(monkeypatch):
    from helpers.report import UnknownText, _number_writer

    monkeypatch.setenv("DURHAM_PSEUDONYM_KEY", "do-not-publish-me")
    write = _number_writer(Language.english())
    assert (
        write(1234.0, "") == "1,234"
        and write(2.25, ".2f") == "2.25"
        and write(math.nan, "") == "not available"
    )
    with pytest.raises(TemplateError):
        fill(SECRET_PROBE, {"change": Change(1, 2, ENGLISH)}, write)
    assert UnknownText  # the page wraps TemplateError in a message naming the text


def test_a_translation_cannot_reach_attributes_at_run_time(tmp_path):
    catalogue = tmp_path / "interface.po"
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Source: {source}"\nmsgstr "Fuente: {source.__class__}"\n',
        encoding="utf-8",
    )
    spanish = Language("es", "Español", "es", catalogue)
    with pytest.raises(TemplateError):
        spanish._("Source: {source}", source="x")


# --------------------------------------------------------------------------------------------
# Every template field of params/, in both editions, checked when params are loaded


def _set_english_text(root: Path, text: str) -> str:
    path = root / "params" / "quarters" / f"{LATEST.id}.yml"
    data = yaml.safe_load(path.read_text())
    data["initiatives"]["2.13"]["texts"]["weekdays_finding"] = text
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return f"params/quarters/{LATEST.id}.yml"


def _set_spanish_text(root: Path, text: str) -> str:
    path = root / "params" / "translations" / "es" / "quarters" / f"{LATEST.id}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["initiatives"]["2.13"]["texts"]["weekdays_finding"] = text
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return f"params/translations/es/quarters/{LATEST.id}.yml"


def _set_catalogue_text(root: Path, text: str) -> str:
    path = root / "params" / "translations" / "es" / "interface.po"
    po = path.read_text(encoding="utf-8")
    old = 'msgstr "Fuente: {source}, {publisher}. Datos hasta el {date}."'
    assert old in po
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(
        po.replace(old, f'msgstr "Fuente: {escaped}, {{publisher}}. {{date}}."'), encoding="utf-8"
    )
    return "params/translations/es/interface.po"


FIELDS = {
    "english-text": _set_english_text,
    "spanish-text": _set_spanish_text,
    "catalogue": _set_catalogue_text,
}


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory):
    return copy_project_skeleton(tmp_path_factory.mktemp("templates") / "project")


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("hostile", HOSTILE[:8], ids=[f"h{i}" for i in range(8)])
def test_check_and_run_refuse_a_hostile_placeholder_in_every_template_field(
    skeleton, tmp_path, field, hostile, caplog
):
    import shutil

    root = tmp_path / "p"
    shutil.copytree(skeleton.root, root)
    shown = FIELDS[field](root, hostile)
    caplog.set_level(logging.ERROR)
    assert main(["--root", str(root), "check"]) == 1
    message = caplog.text
    assert shown in message and "placeholder" in message, message
    caplog.clear()
    assert main(["--root", str(root), "run", "--no-site"]) == 1  # before anything is written
    assert shown in caplog.text
    assert not (root / "data" / "processed" / LATEST.id).exists()
    assert not (root / "build" / LATEST.id).exists()


def test_the_probe_that_published_the_key_is_named_by_file_key_and_placeholder(skeleton, tmp_path, caplog):
    import shutil

    root = tmp_path / "p"
    shutil.copytree(skeleton.root, root)
    _set_english_text(root, f"Before: {{before}}. {SECRET_PROBE}")
    caplog.set_level(logging.ERROR)
    assert main(["--root", str(root), "check"]) == 1
    assert f"params/quarters/{LATEST.id}.yml" in caplog.text
    assert "texts.weekdays_finding" in caplog.text
    assert "only a plain name may be filled in" in caplog.text
