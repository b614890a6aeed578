"""Judging an edit by what it left: the task's tests, the names in the files, the code's shape. Pure functions."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """Whether a task's edit holds, and every reason it does not."""

    passed: bool
    problems: tuple[str, ...]


def files_mentioning(files: Mapping[str, str], name: str) -> list[str]:
    """Files in which `name` still occurs as a whole word."""
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    return [path for path, text in files.items() if pattern.search(text)]


def public_functions_without_docstring(source: str) -> list[str]:
    """Module-level and class-level public functions that have no docstring."""
    tree = ast.parse(source)
    return [node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_") and ast.get_docstring(node) is None]


def _without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and ast.get_docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


def same_code_apart_from_docstrings(before: str, after: str) -> bool:
    """Whether two sources have equal syntax trees once every docstring is taken out."""
    return _without_docstrings(before) == _without_docstrings(after)


def docstring_problems(before: Mapping[str, str], after: Mapping[str, str], paths: tuple[str, ...]) -> list[str]:
    """What keeps a documentation edit from counting: missing docstrings, changed code, unparsable files."""
    problems: list[str] = []
    for path in paths:
        try:
            missing = public_functions_without_docstring(after.get(path, ""))
            if missing:
                problems.append(f"{path}: no docstring on {', '.join(missing)}")
            if not same_code_apart_from_docstrings(before.get(path, ""), after.get(path, "")):
                problems.append(f"{path}: the code changed, not only its docstrings")
        except SyntaxError as error:
            problems.append(f"{path}: no longer parses ({error.msg}, line {error.lineno})")
    return problems
