"""Imports: project modules import each other at the top, never inside a function; commands named by module resolve."""

import argparse
import ast
from pathlib import Path

import pytest

from counters.__main__ import build_parser as counters_parser
from portal.__main__ import build_parser as portal_parser
from portal.process import command_function

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("portal", "counters")


def _imported_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return ["." if node.level else (node.module or "")]
    return []


def function_level_project_imports(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line module` for each import of a project module (or relative import) inside a function."""
    found = set()
    for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                for name in _imported_names(node):
                    if name == "." or name.split(".")[0] in PROJECT:
                        found.add((node.lineno, name))
    return [f"{path.relative_to(root)}:{line} {name}" for line, name in sorted(found)]


def test_no_module_imports_a_project_module_inside_a_function():
    # An import inside a function hides a dependency (often a cycle) from readers and from
    # import-linter; third-party libraries that are slow to load may still be imported late.
    found = [hit for package in PROJECT for path in sorted((ROOT / package).rglob("*.py"))
             for hit in function_level_project_imports(path)]
    assert not found, "imports of project modules inside functions:\n" + "\n".join(found)


def test_the_check_sees_imports_in_nested_functions_and_relative_ones(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom portal import settings\n\n"
        "def outer():\n    import json\n    def inner():\n        from portal.settings import Settings\n"
        "\nasync def other():\n    from . import sibling\n    import counters.agent\n"
    )
    assert function_level_project_imports(sample, tmp_path) == [
        "sample.py:7 portal.settings", "sample.py:10 .", "sample.py:11 counters.agent",
    ]


def _commands(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()):
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subcommands:
        yield words, parser.get_default("func")
    for action in subcommands:
        for name, child in action.choices.items():
            yield from _commands(child, (*words, name))


COMMANDS = [*_commands(portal_parser(), ("portal",)), *_commands(counters_parser(), ("counters",))]


@pytest.mark.parametrize("words, func", [pytest.param(w, f, id=" ".join(w)) for w, f in COMMANDS])
def test_every_command_resolves_to_a_function(words, func):
    assert func is not None, f"`{' '.join(words)}` runs nothing"
    assert callable(command_function(func))
