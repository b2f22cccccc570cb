"""Emit stage: the gate every generated module passes before it is written.

Spec text may only ever appear inside string literals. The gate parses the
module and accepts only the statements generated code is made of: imports from
an allow-list of modules, class definitions, annotated and plain assignments,
docstrings, the ``...`` body of an ``@overload``, and calls to an allow-list of names
(methods by their full name, ``self.run`` or ``super().run``). Anything else (an expression
statement that is not a docstring, a call to an unknown name, an import of an
unexpected module) means spec text escaped its literal: the module is refused.

An allow-list of call names only means something while those names keep their
meaning, so the gate also refuses every way of calling code without a call of an
allowed name: rebinding an allowed name (``run = exec``, ``import x as run``, a
parameter, a loop or ``except`` target), item assignment (``globals()[n] = exec``),
decorators and metaclasses (applied without a call node), string annotations
(evaluated by pydantic), the builtins that run code or reach into namespaces, and
dunder attributes and keys.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

ALLOWED_MODULES = frozenset(
    {
        "__future__",
        "decimal",
        "importlib",
        "typing",
        "pydantic",
        "musicbind.runtime",
        "collections.abc",
        "pathlib",
    }
)
ALLOWED_CALLS = frozenset(
    {
        "ConfigDict",  # model_config = ConfigDict(regex_engine="python-re") for lookarounds
        "Field",
        "Decimal",
        "Binding",
        "PriceRule",
        "ProviderProtocol",
        "HttpOperation",  # a generic provider's calls (registry data)
        "JobOperations",
        "BindingIndex",
        "model_validator",
        "segment_within_media",
        "requires",  # rules stated in the documents' sentences (runtime/rules.py)
        "excludes",
        "required_when",
        "JobState",
        "super",
        "dict",
        "cast",
        "getattr",
        "globals",
        "present",
        "get_binding",
        "AttributeError",
        # methods, by their full name
        "self.run",
        "self.submit",
        # the clients' per-ref run/submit overloads hand the call on to the runtime's
        "super().run",
        "super().submit",
    }
)
# Decorators that are applied without a call node: only these names.
# Decorators are applied without a call node: a decorator is a checked call or one of these.
ALLOWED_DECORATORS = frozenset({"property", "staticmethod", "classmethod", "overload", "override"})
# Names a parameter default may be besides a literal: the typed client methods' "not given"
# sentinel, imported from musicbind.runtime (guarded below, so it cannot be rebound).
ALLOWED_DEFAULT_NAMES = frozenset({"NOT_GIVEN"})
# Names a field's default may be besides a literal: the default of an optional input field
# the documents do not let be null (None, typed Any); guarded below like NOT_GIVEN.
ALLOWED_VALUE_NAMES = frozenset({"UNSET"})
# Zero-argument factories pydantic may call: only constructors of empty containers.
ALLOWED_FACTORIES = frozenset({"list", "dict", "set", "tuple", "frozenset"})
# Builtins that run code, read input or files, or reach into namespaces; a module may only
# mention one when it binds that name itself (a parameter named ``input``, say).
FORBIDDEN_NAMES = frozenset(
    {
        "breakpoint",
        "compile",
        "delattr",
        "eval",
        "exec",
        "exit",
        "help",
        "input",
        "locals",
        "memoryview",
        "open",
        "quit",
        "setattr",
        "vars",
    }
)
ALLOWED_DUNDERS = frozenset({"__all__", "__doc__", "__future__", "__init__", "__name__"})
# Names whose meaning the allow-lists rely on: never rebound to anything but a literal.
GUARDED_NAMES = frozenset(
    {name for name in ALLOWED_CALLS if "." not in name}
    | ALLOWED_DECORATORS
    | ALLOWED_DEFAULT_NAMES
    | ALLOWED_VALUE_NAMES
    | {"self", "cls"}
)
_DUNDER = re.compile(r"^__\w+__$")
_REFUSED_NODES = (
    ast.Lambda,
    ast.Global,
    ast.Nonlocal,
    ast.Delete,
    ast.With,
    ast.AsyncWith,
    ast.Match,
    ast.NamedExpr,
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
    found = _Gate().first_problem(tree)
    if found is not None:
        node, problem = found
        raise UnsafeCodeError(f"{name}: line {getattr(node, 'lineno', '?')}: {problem}")


# Nodes with nothing below them and no check (contexts and operators, about a third of a
# module's nodes): the walk does not visit them.
_LEAVES = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)


# Nodes whose fields hold no node to visit (names, constants, import aliases: about half of a
# module's nodes): checked, but their fields are not looked through.
_CHILDLESS = frozenset({ast.Name, ast.Constant, ast.alias})


class _Deferred:
    """A check that needs the whole module's facts (the names it binds, its classes)."""


_DEFER = _Deferred()


class _Gate:
    """The checks, in one breadth-first walk that also learns what the module binds.

    Most checks look at one node. Two need facts about the whole module, which the walk
    knows only at its end: a forbidden builtin's name is allowed where the module binds it,
    and ``Shape.model_rebuild()`` only for a class of the module. Those nodes are checked
    after the walk; the problem reported is the first in :func:`ast.walk`'s order.
    """

    def __init__(self) -> None:
        self.bound: set[str] = set()  # every name the module binds somewhere
        self.classes: set[str] = set()
        # Targets of ``name = <literal>`` / ``name: T = Field(...)`` / ``x = _INDEX.x``
        # (the walk meets an assignment before its target).
        self.plain_targets: set[int] = set()

    def first_problem(self, tree: ast.AST) -> tuple[ast.AST, str] | None:
        """The first node (breadth first) that may not appear, with why; None when none."""
        nodes: list[ast.AST] = [tree]
        deferred: list[tuple[int, ast.AST]] = []
        first: tuple[int, ast.AST, str] | None = None
        binders, checks, node_type, leaves = _BINDERS, _CHECKS, ast.AST, _LEAVES
        childless = _CHILDLESS
        index = 0
        while index < len(nodes):
            node = nodes[index]
            kind = type(node)
            binder = binders.get(kind)
            if binder is not None:
                binder(self, node)
            check = checks.get(kind) if first is None else None
            if check is not None:
                problem = check(self, node)
                if problem is _DEFER:
                    deferred.append((index, node))
                elif problem is not None:
                    first = (index, node, str(problem))  # walk on: the facts must be complete
            index += 1
            if kind in childless:
                continue
            for field in node._fields:
                value = getattr(node, field, None)
                if isinstance(value, node_type):
                    if not isinstance(value, leaves):
                        nodes.append(value)
                elif isinstance(value, list):
                    nodes.extend([item for item in value if isinstance(item, node_type)])
        for position, node in deferred:
            if first is not None and position > first[0]:
                break
            problem = self._whole_module_problem(node)
            if problem is not None:
                return node, problem
        return None if first is None else (first[1], first[2])

    def _whole_module_problem(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            return f"name {node.id!r} is not allowed" if node.id not in self.bound else None
        assert isinstance(node, ast.Call)  # only names and calls are deferred
        return None if self._rebuilds_own_class(node) else _call_problem(node)

    # Learning what the module binds.

    def _bind_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)

    def _bind_name(self, node: ast.Name) -> None:
        if type(node.ctx) is ast.Store:
            self.bound.add(node.id)

    def _bind_definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.bound.add(node.name)
        if isinstance(node, ast.ClassDef):
            self.classes.add(node.name)

    def _bind_import(self, node: ast.Import | ast.ImportFrom) -> None:
        self.bound.update(a.asname or a.name.split(".")[0] for a in node.names)

    def _bind_assignment(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and _plain_value(target.id, node.value):
                self.plain_targets.add(id(target))

    # The checks, one per node type.

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> str | None:
        return _import_problem(node)

    def _check_call(self, node: ast.Call) -> str | _Deferred | None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "model_rebuild"
            and isinstance(func.value, ast.Name)
        ):
            return _DEFER  # allowed for a class of this module: known after the walk
        return _call_problem(node)

    def _check_expression(self, node: ast.Expr) -> str | None:
        # A docstring, a checked call, or the ``...`` body of an @overload.
        constant = node.value.value if isinstance(node.value, ast.Constant) else None
        if isinstance(constant, str) or constant is Ellipsis:
            return None
        if isinstance(node.value, ast.Call):
            return None
        return "bare expression statement"

    def _check_refused(self, node: ast.AST) -> str | None:
        return f"{type(node).__name__} is not allowed"

    def _check_name(self, node: ast.Name) -> str | _Deferred | None:
        if _DUNDER.match(node.id) and node.id not in ALLOWED_DUNDERS:
            return f"name {node.id!r} is not allowed"
        if node.id in FORBIDDEN_NAMES:
            return _DEFER  # allowed where the module binds it: known after the walk
        if (
            type(node.ctx) is ast.Store
            and node.id in GUARDED_NAMES
            and id(node) not in self.plain_targets
        ):
            return f"assignment to {node.id!r} rebinds an allowed name"
        return None

    def _check_attribute(self, node: ast.Attribute) -> str | None:
        return _attribute_problem(node)

    def _check_subscript(self, node: ast.Subscript) -> str | None:
        return _subscript_problem(node)

    def _check_definition(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    ) -> str | None:
        return _definition_problem(node)

    def _check_handler(self, node: ast.ExceptHandler) -> str | None:
        if node.name in GUARDED_NAMES:
            return f"'except ... as {node.name}' rebinds an allowed name"
        return None

    def _check_annotated(self, node: ast.AnnAssign) -> str | None:
        return _annotation_problem(node.annotation)

    def _rebuilds_own_class(self, node: ast.Call) -> bool:
        """``Shape.model_rebuild()`` for a class of this module (a shape that refers to itself)."""
        func = node.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr == "model_rebuild"
            and isinstance(func.value, ast.Name)
            and func.value.id in self.classes
            and not node.args
            and not node.keywords
        )


def _plain_value(target: str, value: ast.expr | None) -> bool:
    """A value that cannot smuggle a callable in: a literal, a Field(...), or ``x = obj.x``."""
    if value is None or _is_literal(value):
        return True
    if isinstance(value, ast.Name) and value.id in ALLOWED_VALUE_NAMES:
        return True
    if isinstance(value, ast.Call) and _call_name(value.func) == "Field":
        return True
    return (
        isinstance(value, ast.Attribute)
        and value.attr == target
        and isinstance(value.value, ast.Name)
    )


def _allowed_default_name(value: ast.expr) -> bool:
    return isinstance(value, ast.Name) and value.id in ALLOWED_DEFAULT_NAMES


def _is_literal(value: ast.expr) -> bool:
    if isinstance(value, ast.Constant):
        return True
    if isinstance(value, ast.UnaryOp):
        return _is_literal(value.operand)
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return all(_is_literal(item) for item in value.elts)
    if isinstance(value, ast.Dict):
        return all(k is not None and _is_literal(k) for k in value.keys) and all(
            _is_literal(v) for v in value.values
        )
    return False


def _import_problem(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name not in ALLOWED_MODULES]
        if bad:
            return f"import of {bad} is not allowed"
    elif node.level == 0 and node.module not in ALLOWED_MODULES:
        return f"import from {node.module!r} is not allowed"
    for alias in node.names:
        bound = alias.asname or alias.name.split(".")[0]
        if bound in GUARDED_NAMES and bound != alias.name:
            return f"import of {alias.name!r} as {bound!r} rebinds an allowed name"
    return None


def _call_problem(node: ast.Call) -> str | None:
    called = _call_name(node.func)
    if called not in ALLOWED_CALLS:
        return f"call of {called!r} is not allowed"
    dunders = [
        a.value
        for a in node.args
        if isinstance(a, ast.Constant) and isinstance(a.value, str) and _DUNDER.match(a.value)
    ]
    if called == "getattr" and dunders:
        return f"getattr of {dunders[0]!r} is not allowed"
    for keyword in node.keywords:
        if keyword.arg == "default_factory" and _call_name(keyword.value) not in ALLOWED_FACTORIES:
            return f"default_factory {ast.unparse(keyword.value)!r} is not allowed"
    return None


def _attribute_problem(node: ast.Attribute) -> str | None:
    if _DUNDER.match(node.attr) and node.attr not in ALLOWED_DUNDERS:
        return f"attribute {node.attr!r} is not allowed"
    if isinstance(node.ctx, ast.Store | ast.Del):
        return f"assignment to attribute {node.attr!r} is not allowed"
    return None


def _subscript_problem(node: ast.Subscript) -> str | None:
    key = node.slice.value if isinstance(node.slice, ast.Constant) else None
    literal = _call_name(node.value) in ("Literal", "typing.Literal")  # values, not keys
    if isinstance(key, str) and _DUNDER.match(key) and not literal:
        return f"key {key!r} is not allowed"
    if isinstance(node.ctx, ast.Store | ast.Del):
        return "item assignment is not allowed"
    return None


def _definition_problem(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str | None:
    for decorator in node.decorator_list:
        # A call is checked as a call; anything else is applied without one.
        if not isinstance(decorator, ast.Call) and _call_name(decorator) not in ALLOWED_DECORATORS:
            return f"decorator {ast.unparse(decorator)!r} is not allowed"
    if isinstance(node, ast.ClassDef):
        for keyword in node.keywords:
            if keyword.arg == "metaclass" or not isinstance(keyword.value, ast.Constant):
                return f"class keyword {keyword.arg!r} is not allowed"
        return None
    defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    if not all(_is_literal(d) or _allowed_default_name(d) for d in defaults):
        return "parameter defaults must be literals"
    for annotation in [a.annotation for a in _arguments(node.args)] + [node.returns]:
        problem = _annotation_problem(annotation)
        if problem is not None:
            return problem
    return None


def _arguments(args: ast.arguments) -> list[ast.arg]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return every + [a for a in (args.vararg, args.kwarg) if a is not None]


def _annotation_problem(annotation: ast.expr | None) -> str | None:
    """String annotations are evaluated at runtime (pydantic, typing): none outside Literal."""
    pending: list[ast.AST] = [] if annotation is None else [annotation]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.Name:
            continue  # the common leaf: nothing below it
        if kind is ast.Constant and isinstance(node.value, str):  # type: ignore[attr-defined]
            return f"string annotation {node.value!r} is not allowed"  # type: ignore[attr-defined]
        if kind is ast.Call:
            continue  # Field(description="..."): values, not annotations
        if kind is ast.Subscript and _call_name(node.value) == "Literal":  # type: ignore[attr-defined]
            continue  # Literal["a", "b"]: values, not annotations
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, ast.AST):
                pending.append(value)
            elif isinstance(value, list):
                pending.extend(item for item in value if isinstance(item, ast.AST))
    return None


def _call_name(func: ast.expr) -> str:
    """``name`` or ``a.b.name`` for a name or an attribute chain on a name; else ``<Node>``.

    An attribute chain may also start at a plain ``super()`` call: ``super().run``.
    """
    if isinstance(func, ast.Name):
        return func.id
    if _is_plain_super(func):
        return "super()"
    if isinstance(func, ast.Attribute):
        base = _call_name(func.value)
        return base if base.startswith("<") else f"{base}.{func.attr}"
    return f"<{type(func).__name__}>"


def _is_plain_super(node: ast.expr) -> bool:
    """``super()`` with no arguments (``super`` itself is a guarded name: never rebound)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "super"
        and not node.args
        and not node.keywords
    )


# What the walk does per node type: learn a binding, check the node. Any other type
# (constants, most expressions) costs one dict lookup each.
_BINDERS: dict[type[ast.AST], Callable[[_Gate, Any], None]] = {
    ast.arg: _Gate._bind_arg,
    ast.Name: _Gate._bind_name,
    ast.FunctionDef: _Gate._bind_definition,
    ast.AsyncFunctionDef: _Gate._bind_definition,
    ast.ClassDef: _Gate._bind_definition,
    ast.Import: _Gate._bind_import,
    ast.ImportFrom: _Gate._bind_import,
    ast.Assign: _Gate._bind_assignment,
    ast.AnnAssign: _Gate._bind_assignment,
}
_CHECKS: dict[type[ast.AST], Callable[[_Gate, Any], str | _Deferred | None]] = {
    ast.Import: _Gate._check_import,
    ast.ImportFrom: _Gate._check_import,
    ast.Call: _Gate._check_call,
    ast.Expr: _Gate._check_expression,
    **dict.fromkeys(_REFUSED_NODES, _Gate._check_refused),
    ast.Name: _Gate._check_name,
    ast.Attribute: _Gate._check_attribute,
    ast.Subscript: _Gate._check_subscript,
    ast.FunctionDef: _Gate._check_definition,
    ast.AsyncFunctionDef: _Gate._check_definition,
    ast.ClassDef: _Gate._check_definition,
    ast.ExceptHandler: _Gate._check_handler,
    ast.AnnAssign: _Gate._check_annotated,
}
