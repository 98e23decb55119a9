"""docs/design.md tells the truth: its package table is the tree, and its
dependency rule is the one import-linter checks."""

from __future__ import annotations

import re
import tomllib

from shouwang.settings import ROOT

DESIGN = ROOT / "docs" / "design.md"
TOP = ("geo", "live", "shouwang", "dashboard", "data")
SKIP = {"migrations", "versions", "templates", "static", "pilot", "__pycache__"}


def _tree() -> dict[str, set[str]]:
    """Every package folder (relative, with a slash) and its module names."""
    found: dict[str, set[str]] = {}
    for top in TOP:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            folder = init.parent
            if SKIP & set(folder.relative_to(ROOT).parts):
                continue
            mods = {p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__")}
            found[f"{folder.relative_to(ROOT).as_posix()}/"] = mods
    return found


def _table() -> dict[str, set[str]]:
    text = DESIGN.read_text(encoding="utf-8")
    section = text.split("## Packages", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, set[str]] = {}
    for line in section.splitlines():
        m = re.match(r"\| `([\w/]+/)` \|[^|]*\|([^|]*)\|$", line.strip())
        if m:
            rows[m.group(1)] = set(re.findall(r"`(\w+)`", m.group(2)))
    return rows


def _problems(tree: dict[str, set[str]], table: dict[str, set[str]]) -> list[str]:
    problems = [f"package {p} is not in docs/design.md" for p in sorted(set(tree) - set(table))]
    problems += [
        f"docs/design.md lists {p}, not in the tree" for p in sorted(set(table) - set(tree))
    ]
    for package in sorted(set(tree) & set(table)):
        problems += [
            f"{package}{m}.py is not listed" for m in sorted(tree[package] - table[package])
        ]
        problems += [
            f"{package}{m}.py is listed, absent" for m in sorted(table[package] - tree[package])
        ]
    return problems


def test_package_table_lists_every_package_and_module_of_the_tree() -> None:
    assert _problems(_tree(), _table()) == []


def test_a_table_out_of_step_is_caught() -> None:
    table = _table()
    del table["live/ingest/"]
    table["geo/"] = table["geo/"] - {"heat"} | {"astrology"}
    problems = _problems(_tree(), table)
    for injected in (
        "package live/ingest/ is not in docs/design.md",
        "geo/heat.py is not listed",
        "geo/astrology.py is listed, absent",
    ):
        assert injected in problems


def test_dependency_rule_in_the_docs_is_the_one_import_linter_checks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [
        c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
    ]
    text = DESIGN.read_text(encoding="utf-8")
    block = text.split("<!-- layers: begin -->", 1)[1].split("<!-- layers: end -->", 1)[0]
    documented = re.findall(r"^\d+\. `([^`]+)`$", block, re.M)
    assert documented == layers
