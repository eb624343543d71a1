"""Parameter files fail with the file, the line, the key and the fix."""

from pathlib import Path

import pytest

from helpers.core.config import ConfigError, StrictModel, load_model, read_yaml


class Item(StrictModel):
    id: str
    size: int


class Doc(StrictModel):
    title: str
    items: list[Item]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.yml"
    path.write_text(text)
    return path


def test_every_problem_is_listed_with_line_key_and_fix(tmp_path):
    path = write(tmp_path, "title: ok\nitems:\n  - id: a\n    size: ten\n  - id: b\n    szie: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_model(path, Doc)
    problems = {p.key: p for p in caught.value.problems}
    assert problems["items[0] (id=a).size"].line == 4
    assert "number" in problems["items[0] (id=a).size"].fix
    assert problems["items[1] (id=b).szie"].line == 6
    assert "did you mean 'size'" in problems["items[1] (id=b).szie"].fix
    assert "items[1] (id=b).size" in problems  # the missing key is reported too
    message = str(caught.value)
    assert "doc.yml, line 6" in message and "Fix:" in message


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "title: ok\nitems: [\n  - oops: : :\n")
    with pytest.raises(ConfigError) as caught:
        read_yaml(path)
    problem = caught.value.problems[0]
    assert problem.key == "(syntax)" and problem.line is not None
    assert "quotes" in problem.fix


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_model(tmp_path / "absent.yml", Doc)
    with pytest.raises(ConfigError, match="empty"):
        load_model(write(tmp_path, "# nothing\n"), Doc)
