"""The interface catalogue is read strictly, as ``msgfmt --check`` reads it: a slip that Babel
would read as some other text stops ``helpers check`` and the run, naming the file and line."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from helpers.cli import main
from helpers.core.config import ConfigError
from helpers.core.pofile import read_entries
from helpers.translation.catalogue import check_interface
from helpers.translation.edition import editions

from ..conftest import REPO, copy_project_skeleton

HEADER = (
    'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
    '"Plural-Forms: nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);\\n"\n\n'
)


def problems(tmp_path: Path, body: str) -> list[tuple[int | None, str]]:
    path = tmp_path / "interface.po"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_entries(path, "interface.po")
    return [(p.line, p.problem) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ('msgid "Hello {name}"\nmsgstr "Hola {name}\n', 7, "not closed"),
        ('msgid "Two"\nmsgstr garbage\n', 7, "expected a quoted string"),
        ('msgid "Two"\nmsgstr "dos" "tres"x\n', 7, "unescaped quote"),
        ('msgstr "huérfano"\n', 6, "without a msgid"),
        ('msgid "a"\nmsgid "b"\nmsgstr "c"\n', 7, "out of place"),
        ('msgid "x"\nmsgid_plural "xs"\nmsgstr[0] "x"\nmsgstr[1] "xs"\n', 6, "nplurals=3"),
        ('msgid "x"\nmsgid_plural "xs"\nmsgstr "x"\n', 8, "msgstr[0], msgstr[1]"),
        ('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 9, "also at line 6"),
        ("what is this\n", 6, "not a PO keyword"),
    ],
    ids=[
        "unclosed",
        "garbage",
        "stray-quote",
        "orphan",
        "two-msgids",
        "nplurals",
        "plural-msgstr",
        "dup",
        "junk",
    ],
)
def test_each_slip_is_named_by_line(tmp_path, body, line, words):
    found = problems(tmp_path, body)
    assert any(at == line and words in what for at, what in found), found


def test_the_real_catalogue_reads_exactly_as_babel_reads_it():
    from babel.messages.pofile import read_po

    path = REPO / "params" / "translations" / "es" / "interface.po"
    ours = {
        (e.context, e.msgid): (e.msgstr if e.plural is None else tuple(e.forms.values()))
        for e in read_entries(path, "x")
    }
    with path.open("rb") as handle:
        theirs = {
            (m.context, m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_po(handle) if m.id
        }
    ours = {k: v for k, v in ours.items() if k[1]}
    assert ours == theirs and len(ours) > 200


def test_plural_forms_keep_every_placeholder_of_the_english_plural(tmp_path):
    folder = tmp_path / "params" / "translations" / "es"
    shutil.copytree(REPO / "params" / "translations" / "es", folder)
    (folder / "interface.po").write_text(
        HEADER + 'msgid "{n} quarter"\nmsgid_plural "{n} quarters"\n'
        'msgstr[0] "%s trimestre"\nmsgstr[1] "%s trimestres"\nmsgstr[2] "%s trimestres"\n',
        encoding="utf-8",
    )
    edition = editions(tmp_path / "params")[1]
    with pytest.raises(ConfigError, match=r"line 6.*the English fills in n; the translation has none"):
        check_interface(edition, "interface.po")


def test_check_and_run_stop_on_a_lost_parenthesis(tmp_path, caplog):
    paths = copy_project_skeleton(tmp_path / "p")
    path = paths.params / "translations" / "es" / "interface.po"
    text = path.read_text(encoding="utf-8")
    old = 'msgstr "(datos incompletos)"'
    assert old in text
    path.write_text(text.replace(old, 'msgstr "(datos incompletos)'), encoding="utf-8")
    caplog.set_level(logging.ERROR)
    assert main(["--root", str(paths.root), "check"]) == 1
    assert "interface.po, line" in caplog.text and "not closed with a quote" in caplog.text
    caplog.clear()
    assert main(["--root", str(paths.root), "run", "--no-site"]) == 1
    assert "not closed with a quote" in caplog.text
