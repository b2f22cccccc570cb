"""Emit stage: the gate every generated module passes before it is written.

Spec text may only ever appear inside string literals. The gate parses the
module and accepts only the statements generated code is made of: imports from
an allow-list of modules, class definitions, annotated and plain assignments,
docstrings, and calls to an allow-list of names. Anything else (an expression
statement that is not a docstring, a call to an unknown name, an import of an
unexpected module) means spec text escaped its literal: the module is refused.
"""

from __future__ import annotations

import ast

ALLOWED_MODULES = frozenset(
    {
        "__future__",
        "decimal",
        "importlib",
        "typing",
        "pydantic",
        "runtime",
        "runtime.bases",
        "runtime.binding",
        "runtime.client",
        "runtime.index",
        "runtime.jobs",
        "runtime.rules",
        "runtime.jobstate",
        "collections.abc",
        "pathlib",
    }
)
ALLOWED_CALLS = frozenset(
    {
        "Field",
        "Decimal",
        "Binding",
        "PriceRule",
        "ProviderProtocol",
        "BindingIndex",
        "model_validator",
        "segment_within_media",
        "JobState",
        "super",
        "dict",
        "cast",
        "getattr",
        "globals",
        "present",
        "run",
        "submit",
        "get_binding",
        "_resolve",
        "AttributeError",
    }
)


class UnsafeCodeError(ValueError):
    """Generated text contains something other than what generated code is made of."""


def check_module(source: str, name: str) -> None:
    """Raise UnsafeCodeError unless ``source`` is made only of allowed constructs."""
    try:
        tree = ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise UnsafeCodeError(
            f"{name}: generated code does not parse: {exc.msg} (line {exc.lineno})"
        ) from exc
    for node in ast.walk(tree):
        _check_node(node, name)


def _check_node(node: ast.AST, name: str) -> None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name not in ALLOWED_MODULES]
        if bad:
            raise UnsafeCodeError(f"{name}: line {node.lineno}: import of {bad} is not allowed")
    elif isinstance(node, ast.ImportFrom):
        if node.level == 0 and node.module not in ALLOWED_MODULES:
            raise UnsafeCodeError(
                f"{name}: line {node.lineno}: import from {node.module!r} is not allowed"
            )
    elif isinstance(node, ast.Call):
        called = _call_name(node.func)
        if called not in ALLOWED_CALLS:
            raise UnsafeCodeError(f"{name}: line {node.lineno}: call of {called!r} is not allowed")
    elif isinstance(node, ast.Expr) and not (
        isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
    ):
        if not isinstance(node.value, ast.Call):
            raise UnsafeCodeError(f"{name}: line {node.lineno}: bare expression statement")
    elif isinstance(
        node, ast.Lambda | ast.Global | ast.Nonlocal | ast.Delete | ast.With | ast.AsyncWith
    ):
        raise UnsafeCodeError(
            f"{name}: line {getattr(node, 'lineno', '?')}: {type(node).__name__} is not allowed"
        )


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return (
            _call_name(func.value) + "." + func.attr
            if not isinstance(func.value, ast.Name)
            else func.attr
        )
    return type(func).__name__
