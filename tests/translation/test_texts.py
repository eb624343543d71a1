"""Translations in params/: every text residents read has its Spanish version, and a translator's
slip (a misspelt key, a lost {name}) is an error that says where and how to fix it."""

from __future__ import annotations

import shutil

import pytest
import yaml

from helpers.cli import main
from helpers.core.config import ConfigError
from helpers.core.language import pending_plain
from helpers.core.paths import ProjectPaths
from helpers.core.periods import FiscalQuarter
from helpers.params.quarters import load_quarter
from helpers.params.settings import load_settings
from helpers.translation.catalogue import interface_messages, missing_interface, update_catalogue
from helpers.translation.edition import edition, editions

from ..conftest import REPO, copy_project_skeleton

LATEST = FiscalQuarter.parse("FY2027Q1")


@pytest.fixture
def project(tmp_path) -> ProjectPaths:
    return copy_project_skeleton(tmp_path)


def edit_yaml(path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def spanish(paths: ProjectPaths):
    settings = load_settings(paths)
    local = settings.in_edition(edition(paths.params, "es"))
    params, missing = local.quarter_in_edition(load_quarter(paths, settings.plan, LATEST))
    return local, params, [*local.missing, *missing]


def test_the_editions_are_english_then_each_translation_folder():
    assert [e.code for e in editions(REPO / "params")] == ["en", "es"]


def test_every_text_of_the_sample_params_and_the_code_has_a_spanish_version():
    paths = ProjectPaths(REPO)
    local, params, missing = spanish(paths)
    assert missing == []
    es = edition(paths.params, "es")
    assert missing_interface(es, interface_messages(), "interface.po") == []
    assert local.plan.objective("2.1").title == "Reducir el daño"
    assert local.plan.goal.title != load_settings(paths).plan.goal.title
    assert params.highlights and "policía" in params.highlights.lower()


def test_the_city_s_english_stays_the_source_of_ids_and_numbers(project):
    english = load_settings(project)
    local, _, _ = spanish(project)
    assert [o.id for o in local.plan.objectives] == [o.id for o in english.plan.objectives]
    for mine, theirs in zip(local.plan.measures, english.plan.measures):
        assert (mine.id, mine.source, mine.grain, mine.privacy) == (
            theirs.id,
            theirs.source,
            theirs.grain,
            theirs.privacy,
        )
        if theirs.target:
            assert mine.target.value == theirs.target.value


def test_a_missing_translation_is_listed_by_file_and_key_and_stops_the_check(project, capsys, caplog):
    quarter_file = project.params / "translations" / "es" / "quarters" / "FY2027Q1.yml"
    edit_yaml(quarter_file, lambda d: d["initiatives"]["2.21"].pop("whats_next"))
    _, params, missing = spanish(project)
    assert [(m.file, m.key) for m in missing] == [
        ("params/translations/es/quarters/FY2027Q1.yml", 'initiatives."2.21".whats_next')
    ]
    assert missing[0].english.startswith("Run the October events")
    # Until translated, the Spanish page would show the English, marked as pending.
    assert "(traducción pendiente)" in params.initiatives["2.21"].whats_next
    assert main(["--root", str(project.root), "check"]) == 1
    assert 'initiatives."2.21".whats_next\': no translation yet' in caplog.text


def test_a_misspelt_key_is_an_error_with_its_line_and_a_suggestion(project):
    plan_file = project.params / "translations" / "es" / "plan.yml"
    text = plan_file.read_text(encoding="utf-8")
    plan_file.write_text(
        text.replace("title: Reducir el daño", "titel: Reducir el daño", 1), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        spanish(project)
    problem = caught.value.problems[0]
    assert problem.file == "params/translations/es/plan.yml" and problem.line
    assert problem.key == 'objectives."2.1".titel' and "did you mean 'title'" in problem.fix


def test_a_translation_that_loses_a_name_the_page_fills_in_is_an_error(project):
    catalogue = project.params / "translations" / "es" / "interface.po"
    text = catalogue.read_text(encoding="utf-8")
    catalogue.write_text(
        text.replace('msgstr "Informe de {period}"', 'msgstr "Informe de {periodo}"'), encoding="utf-8"
    )
    es = edition(project.params, "es")
    with pytest.raises(ConfigError) as caught:
        missing_interface(es, interface_messages(), "params/translations/es/interface.po")
    problem = caught.value.problems[0]
    assert problem.key == "Report for {period}" and problem.line
    assert "period" in problem.problem and "periodo" in problem.problem


def test_a_list_translated_with_an_extra_item_is_an_error(project):
    plan_file = project.params / "translations" / "es" / "plan.yml"
    data = yaml.safe_load(plan_file.read_text(encoding="utf-8"))
    measure = next(m for m in data["measures"] if data["measures"][m].get("caveats"))
    edit_yaml(plan_file, lambda d: d["measures"][measure]["caveats"].append("Una advertencia de más."))
    with pytest.raises(
        ConfigError, match=r"line \d+, key 'measures\.\w+\.caveats\[\d\]': there is no such text"
    ):
        spanish(project)


def test_new_messages_of_the_code_are_added_to_the_catalogue_untranslated(project):
    es = edition(project.params, "es")
    messages = interface_messages()
    catalogue = es.file("interface.po")
    text = catalogue.read_text(encoding="utf-8")
    start = text.index('msgid "Learn more"')
    catalogue.write_text(text[:start] + text[text.index("\n\n", start) + 2 :], encoding="utf-8")
    fresh = edition(project.params, "es")
    assert [m.english for m in missing_interface(fresh, messages, "interface.po")] == ["Learn more"]
    assert update_catalogue(fresh, messages) == (1, 0)
    added = catalogue.read_text(encoding="utf-8")
    assert 'msgid "Learn more"\nmsgstr ""' in added
    assert "Last-Translator: Sample translation for review by the City of Durham" in added


def test_without_translations_there_is_one_edition(project):
    shutil.rmtree(project.params / "translations")
    assert [e.code for e in editions(project.params)] == ["en"]
    assert main(["--root", str(project.root), "check"]) == 0


def test_a_translation_of_changed_english_is_out_of_date_until_reviewed(project, caplog):
    plan_file = project.params / "plan.yml"
    text = plan_file.read_text(encoding="utf-8")
    plan_file.write_text(
        text.replace("title: Reduce Harm", "title: Reduce Harm Together", 1), encoding="utf-8"
    )
    _, _, missing = spanish(project)
    assert [(m.key, m.reason) for m in missing] == [
        ('objectives."2.1".title', "the English has changed since it was translated")
    ]
    assert main(["--root", str(project.root), "check"]) == 1
    assert 'has changed since it was translated (English: "Reduce Harm Together")' in caplog.text
    # Recording the versions again without --reviewed keeps it listed; --reviewed clears it.
    assert main(["--root", str(project.root), "translations"]) == 0
    assert spanish(project)[2] != []
    assert main(["--root", str(project.root), "translations", "--reviewed"]) == 0
    local, _, missing = spanish(project)
    assert missing == [] and local.plan.objective("2.1").title == "Reducir el daño"


def test_an_edited_sentence_of_the_code_keeps_its_old_translation_for_review_only(project):
    from dataclasses import replace

    es = edition(project.params, "es")
    messages = [replace(m, id="Learn more here") if m.id == "Learn more" else m for m in interface_messages()]
    assert update_catalogue(es, messages) == (1, 1)
    text = es.file("interface.po").read_text(encoding="utf-8")
    assert '#, fuzzy\n#| msgid "Learn more"\nmsgid "Learn more here"\nmsgstr "Más información"' in text
    fresh = edition(project.params, "es")
    [missing] = missing_interface(fresh, messages, "interface.po")
    assert missing.english == "Learn more here"
    assert missing.reason == "the English has changed since it was translated"
    assert pending_plain(fresh.language._("Learn more here")).endswith("(traducción pendiente)")


def test_check_warns_when_a_translation_is_not_recorded_yet(project, caplog):
    versions = project.params / "translations" / "es" / "english-versions.yml"
    kept = versions.read_text(encoding="utf-8")
    versions.write_text(kept.replace('  objectives."2.1".title:', "  unrelated.key:", 1), encoding="utf-8")
    assert main(["--root", str(project.root), "check"]) == 0  # a warning, not a failure
    assert "1 translation(s) are not in english-versions.yml yet" in caplog.text
    assert main(["--root", str(project.root), "translations"]) == 0
    assert 'objectives."2.1".title:' in versions.read_text(encoding="utf-8")


def test_the_committed_catalogue_is_what_the_code_says_now(project):
    """`helpers translations` changes nothing in the committed interface.po: a message of the
    code (an f-string hides one from the extractor) or an edit left out would otherwise reach the
    Spanish pages marked as pending, and every Spanish page would re-run on the next review."""
    es = edition(project.params, "es")
    before = es.file("interface.po").read_bytes()
    assert update_catalogue(es, interface_messages()) == (0, 0)
    assert es.file("interface.po").read_bytes() == before


def test_no_message_is_hidden_from_the_extractor_inside_an_f_string():
    """Babel does not look inside f-strings: a `t._("...")` there never reaches interface.po, so
    its Spanish page would show the English marked as pending. Name the message first."""
    import ast

    hidden = []
    for path in sorted((REPO / "src" / "helpers").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr):
                continue
            for call in ast.walk(node):
                function = getattr(call, "func", None)
                name = getattr(function, "attr", getattr(function, "id", ""))
                if isinstance(call, ast.Call) and name in {"_", "n_", "p_", "N_"}:
                    hidden.append(f"{path.relative_to(REPO)}:{call.lineno}")
    assert hidden == []
