"""The package's shape: each stage is one folder, imports point down the flow only (counting
imports inside functions and under TYPE_CHECKING), and there are no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import REPO

PACKAGE = REPO / "src" / "helpers"
# From the foundation up, in the direction data flows; a module may import its own layer and
# the layers below it, never one above.
LAYERS = ["core", "translation", "params", "data|sample", "measures", "page", "site", "run", "report", "cli"]


def layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "cli"
    if top in {"__init__", "__main__"}:
        top = "cli"
    for index, names in enumerate(LAYERS):
        if top in names.split("|"):
            return index
    raise AssertionError(f"{module} is in no layer: add its folder to LAYERS")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("helpers", *path.relative_to(PACKAGE).with_suffix("").parts)
        name = ".".join(parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target, *(f"{target}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known and "." in candidate:
                candidate = candidate.rsplit(".", 1)[0]
            if candidate in known and candidate not in {name, "helpers"}:
                out.add(candidate)
    return out


def test_imports_point_down_the_flow_only():
    found = modules()
    wrong = []
    for name, path in sorted(found.items()):
        for target in sorted(imports(name, path, set(found))):
            if layer(target) > layer(name):
                wrong.append(f"{name} imports {target}, a later stage")
    assert wrong == []


def test_there_are_no_import_cycles():
    found = modules()
    graph = {name: imports(name, path, set(found)) for name, path in found.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_each_stage_is_one_folder_with_a_one_line_purpose():
    folders = [p for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")]
    assert len(folders) >= 5
    readme = (REPO / "README.md").read_text()
    for folder in folders:
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert doc, f"{folder.name}/__init__.py says what the folder is for"
        assert f"`{folder.name}/`" in readme, f"README explains src/helpers/{folder.name}/"


def test_no_module_over_500_lines():
    long = {
        p.relative_to(PACKAGE).as_posix(): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert long == {}
