"""The codebase stays readable: modules and functions of a size one reads at once, and every citation of the
product's rules resolves inside the repository (docs/), never in a file the repository does not hold."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".git", "node_modules", "staticfiles", "bench-data", "migrations", "__pycache__", "static"}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".toml", ".yml", ".yaml", ".cfg", ".js", ".css", ".po"}
TEXT_NAMES = frozenset({"Makefile", "Dockerfile"})


def repository_files(suffixes: set[str], names: frozenset[str] = frozenset()) -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS for part in relative.parts[:-1]) or not path.is_file():
            continue
        if path.suffix in suffixes or path.name in names:
            found.append(path)
    return found


def oversized_modules() -> list[str]:
    return [f"{p.relative_to(ROOT)}: {n} lines" for p in repository_files({".py"})
            if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES]


def long_functions(source: str, name: str) -> list[str]:
    return [f"{name}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines"
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_no_module_is_longer_than_600_lines():
    assert oversized_modules() == []


def test_no_function_is_longer_than_60_lines():
    found = []
    for path in repository_files({".py"}):
        found += long_functions(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


def test_the_length_check_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def f():\n{body}\n", "sample.py") == ["sample.py:1 f: 61 lines"]


# The product's source texts live outside the repository; the repository cites its own docs/ instead.
OUTSIDE_CITATION = re.compile(
    r"\.\./shared|shared/spec|coverage-rules|DEVELOPERS\.md|\binterfaces\.md|PRODUCT\.md|NOTES-performance|\bSTYLE\.md")
RULES_CITATION = re.compile(r"docs/rules\.md\s*§\s*(\d+(?:\.\d+)?)")
API_CITATION = re.compile(r"docs/api\.md\s*§\s*(\d+(?:\.\d+)?)")
HEADING_NUMBER = re.compile(r"^#+\s*(?:§\s*)?(\d+(?:\.\d+)?)[.\s]", re.MULTILINE)


def test_nothing_cites_a_file_outside_the_repository():
    this_file = Path(__file__).resolve()
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in repository_files(TEXT_SUFFIXES, TEXT_NAMES) if p != this_file
             for m in OUTSIDE_CITATION.finditer(p.read_text(encoding="utf-8", errors="replace"))]
    assert found == []


def test_every_citation_of_the_rules_names_a_section_of_docs_rules():
    rules = ROOT / "docs" / "rules.md"
    if not rules.exists():
        pytest.fail("docs/rules.md is missing")
    sections = set(HEADING_NUMBER.findall(rules.read_text(encoding="utf-8")))
    cited = {(str(p.relative_to(ROOT)), n) for p in repository_files(TEXT_SUFFIXES, TEXT_NAMES)
             for n in RULES_CITATION.findall(p.read_text(encoding="utf-8", errors="replace"))}
    assert cited, "the code cites docs/rules.md somewhere"
    assert sorted((where, n) for where, n in cited if n not in sections and n.split(".")[0] not in sections) == []
