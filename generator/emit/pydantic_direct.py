"""Emit stage: the schema -> pydantic step without a parser run, for the plain schemas.

The component schemas :mod:`generator.emit.schema` builds use a small vocabulary
(scalars, arrays, references, free objects, unions, bounds, allowed values,
defaults, descriptions). For a model whose schemas keep to the part of it listed
below, this module writes the text datamodel-code-generator writes for them, with
the same options (:func:`generator.emit.pydantic_models.render_classes`), about a
hundred times faster than a ``generate()`` call. Anything outside that part (a
pattern, a non-scalar default, constraints inside an array or a union, a class
used before its definition, text a docstring would have to escape, ...) returns
None and the model goes through datamodel-code-generator as before.

Same schemas, same bytes: ``tests/unit/test_pydantic_direct.py`` renders the
repository's specs, the golden cases and generated schemas both ways and compares
the formatted modules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_REF_PREFIX = "#/components/schemas/"
_STRICT = {
    "string": "StrictStr",
    "integer": "StrictInt",
    "number": "StrictFloat",
    "boolean": "StrictBool",
}
# Field() keywords of the constraints, by JSON Schema keyword (datamodel-code-generator's
# names with --field-constraints); the keywords are written in alphabetical order.
_BOUNDS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
}
_LENGTHS = {"minLength": "min_length", "maxLength": "max_length"}
_ITEMS = {"minItems": "min_length", "maxItems": "max_length"}
_PROPERTY_KEYS = frozenset(
    {"type", "items", "$ref", "allOf", "anyOf", "enum", "default", "description"}
    | set(_BOUNDS)
    | set(_LENGTHS)
    | set(_ITEMS)
)
# Characters a docstring line may not hold as they are (the tool escapes or trims them).
_UNPLAIN = re.compile(r'[\x00-\x1f\x7f\u2028\u2029\x85]|"""|\s$')
_PLAIN_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
# Class names that would shadow a name the module imports (the tool renames around them).
_IMPORTED_NAMES = frozenset(
    {"Annotated", "Any", "Literal", "Field", "BaseModel", "UNSET", "NOT_GIVEN", *_STRICT.values()}
)
_PLAIN_ATTRIBUTE = re.compile(r"[a-z][a-z0-9_]*")
# Attribute names the tool treats specially (types they would shadow, pydantic's namespace).
_SPECIAL_ATTRIBUTES = frozenset({"list", "dict", "str", "int", "float", "bool", "any", "field"})


class _Outside(Exception):
    """The schemas leave the part this module writes: use datamodel-code-generator."""


class _Imports:
    """The names the classes use, by module, modules in the order of their first use."""

    def __init__(self) -> None:
        self.pydantic: set[str] = set()
        self.runtime: set[str] = set()
        self.typing: set[str] = set()
        self.local: set[str] = set()  # ``import name``: a base class the module defines itself
        self.pending: list[str] = []  # modules used by the class being written
        self.order: list[str] = []

    def use(self, module: str, name: str) -> None:
        getattr(self, module.rpartition(".")[2] or "local").add(name)
        if module not in self.pending:
            self.pending.append(module)

    def close_class(self) -> None:
        """The tool adds a class's field imports, then its base class's."""
        for module in self.pending:
            if module not in self.order:
                self.order.append(module)
        self.pending = []


def direct_classes(
    schemas: Mapping[str, Mapping[str, Any]],
    aliases: Mapping[str, str],
    base_map: Mapping[str, str],
    base_class: str,
) -> str | None:
    """datamodel-code-generator's text for ``schemas`` (class name -> object schema), or
    None when they are outside the part written here. ``aliases``: ``Class.wire`` ->
    attribute name; ``base_map``: class -> dotted base class (default ``base_class``)."""
    try:
        return _render(schemas, aliases, base_map, base_class)
    except _Outside:
        return None


def _render(
    schemas: Mapping[str, Mapping[str, Any]],
    aliases: Mapping[str, str],
    base_map: Mapping[str, str],
    base_class: str,
) -> str:
    imports = _Imports()
    defined: set[str] = set()
    classes: list[str] = []
    for name, schema in schemas.items():
        if (
            not _PLAIN_NAME.fullmatch(name)
            or name in _IMPORTED_NAMES
            or set(schema)
            - {
                "type",
                "properties",
                "required",
                "description",
            }
        ):
            raise _Outside
        body: list[str] = []
        if "description" in schema:
            body += _docstring(schema["description"])
        required = set(schema.get("required", ()))
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise _Outside
        for wire, prop in properties.items():
            attribute = aliases.get(f"{name}.{wire}", wire)
            body += _field(attribute, wire, prop, wire in required, defined, imports)
        base = _base(base_map.get(name, base_class), imports, schemas)
        imports.close_class()
        classes.append("\n".join([f"class {name}({base}):", *(body or ["    pass"])]))
        defined.add(name)
    return _header(imports) + "\n\n\n".join(classes)


def _base(dotted: str, imports: _Imports, classes: Iterable[str]) -> str:
    module, _, name = dotted.rpartition(".")
    if module not in ("musicbind.runtime", "") or name in classes:
        raise _Outside
    # A base without a module (the model's rules class, written by the template) comes
    # with an ``import name`` line, as the tool writes it; the template drops that line.
    imports.use(module, name)
    return name


def _header(imports: _Imports) -> str:
    lines = ["", "from __future__ import annotations"]
    for module in imports.order:
        if not module:
            lines += [f"import {name}" for name in sorted(imports.local)]
            continue
        names = getattr(imports, module.rpartition(".")[2])
        lines.append(f"from {module} import {', '.join(sorted(names))}")
    return "\n".join(lines) + "\n\n\n"


def _docstring(text: Any) -> list[str]:
    if not isinstance(text, str) or not text or text != text.strip():
        raise _Outside
    lines = text.replace("\\", "\\\\").split("\n")
    if any(_UNPLAIN.search(line) for line in lines):
        raise _Outside
    return ['    """', *(f"    {line}" if line else "" for line in lines), '    """']


def _field(
    attribute: str,
    wire: str,
    prop: Any,
    required: bool,
    defined: set[str],
    imports: _Imports,
) -> list[str]:
    if not isinstance(prop, dict) or set(prop) - _PROPERTY_KEYS:
        raise _Outside
    if not _PLAIN_ATTRIBUTE.fullmatch(attribute) or _special(attribute):
        raise _Outside
    schema = dict(prop)
    if "allOf" in schema:  # a reference wrapped to carry a description
        wrapped = schema.pop("allOf")
        if not (isinstance(wrapped, list) and len(wrapped) == 1 and "$ref" not in schema):
            raise _Outside
        if "default" in schema or set(wrapped[0]) != {"$ref"}:
            raise _Outside
        schema["$ref"] = wrapped[0]["$ref"]
    keywords: dict[str, str] = {}
    if attribute != wire:
        keywords["alias"] = _string(wire)
    annotation = _type(schema, defined, imports, keywords)
    if not required:
        annotation += " | None"
    if keywords:
        imports.use("typing", "Annotated")
        imports.use("pydantic", "Field")
        listed = ", ".join(f"{key}={keywords[key]}" for key in sorted(keywords))
        annotation = f"Annotated[{annotation}, Field({listed})]"
    line = f"    {attribute}: {annotation}"
    if not required:
        line += f" = {_default(schema.get('default'))}"
    lines = [line]
    if "description" in schema:
        lines += _docstring(schema["description"])
    return lines


def _special(attribute: str) -> bool:
    from pydantic import BaseModel

    return (
        attribute in _SPECIAL_ATTRIBUTES
        or attribute.startswith("model_")
        or hasattr(BaseModel, attribute)
    )


def _type(
    schema: dict[str, Any], defined: set[str], imports: _Imports, keywords: dict[str, str]
) -> str:
    """The annotation of a property; its constraints go into ``keywords``."""
    constrained = {k for k in schema if k in _BOUNDS or k in _LENGTHS or k in _ITEMS}
    kind = schema.get("type")
    if "$ref" in schema:
        if constrained or "enum" in schema or "type" in schema:
            raise _Outside
        return _reference(schema["$ref"], defined)
    if "anyOf" in schema:
        if constrained or "enum" in schema or "type" in schema:
            raise _Outside
        variants = schema["anyOf"]
        if not isinstance(variants, list) or len(variants) < 2:
            raise _Outside
        shown = [_plain_type(v, defined, imports) for v in variants]
        if len(set(shown)) != len(shown):  # the tool merges repeated variants
            raise _Outside
        return " | ".join(shown)
    if kind == "array":
        for key in constrained:
            if key not in _ITEMS:
                raise _Outside
            keywords[_ITEMS[key]] = _integer(schema[key])
        if "enum" in schema:
            raise _Outside
        return _plain_type({"type": "array", "items": schema.get("items")}, defined, imports)
    if kind in ("integer", "number"):
        for key in constrained:
            if key not in _BOUNDS:
                raise _Outside
            keywords[_BOUNDS[key]] = _bound(schema[key], kind)
    elif kind == "string":
        for key in constrained:
            if key not in _LENGTHS:
                raise _Outside
            keywords[_LENGTHS[key]] = _integer(schema[key])
    elif constrained:
        raise _Outside
    if "enum" in schema:
        return _literal(schema["enum"], kind, imports)
    return _plain_type({k: v for k, v in schema.items() if k == "type"}, defined, imports)


def _plain_type(schema: Any, defined: set[str], imports: _Imports) -> str:
    """The annotation of an unconstrained schema (array items, union variants)."""
    if not isinstance(schema, dict):
        raise _Outside
    if set(schema) == {"$ref"}:
        return _reference(schema["$ref"], defined)
    kind = schema.get("type")
    if set(schema) == {"type"} and isinstance(kind, str) and kind in _STRICT:
        imports.use("pydantic", _STRICT[kind])
        return _STRICT[kind]
    if kind == "array" and set(schema) == {"type", "items"}:
        items = schema["items"]
        if items == {}:
            imports.use("typing", "Any")
            return "list[Any]"
        if isinstance(items, dict) and set(items) == {"type", "enum"}:
            return f"list[{_literal(items['enum'], items['type'], imports)}]"
        return f"list[{_plain_type(items, defined, imports)}]"
    if schema == {"type": "object", "additionalProperties": True}:
        imports.use("typing", "Any")
        return "dict[str, Any]"
    if schema == {}:
        imports.use("typing", "Any")
        return "Any"
    raise _Outside


def _reference(ref: Any, defined: set[str]) -> str:
    if not isinstance(ref, str) or not ref.startswith(_REF_PREFIX):
        raise _Outside
    name = ref[len(_REF_PREFIX) :]
    if name not in defined:  # a later class or itself: the tool reorders or rebuilds
        raise _Outside
    return name


def _literal(values: Any, kind: Any, imports: _Imports) -> str:
    if not isinstance(values, list) or not values:
        raise _Outside
    if kind == "string" and all(isinstance(v, str) for v in values):
        shown = [_string(v) for v in values]
    elif kind in ("integer", "number") and all(type(v) is int for v in values):
        shown = [repr(v) for v in values]
    else:
        raise _Outside
    if len(set(shown)) != len(shown):
        raise _Outside
    imports.use("typing", "Literal")
    return f"Literal[{', '.join(shown)}]"


def _string(value: str) -> str:
    if not value.isprintable() or "\\" in value:
        raise _Outside
    return repr(value)


def _integer(value: Any) -> str:
    if type(value) is not int:
        raise _Outside
    return repr(value)


def _bound(value: Any, kind: str) -> str:
    if type(value) is int:
        return repr(float(value)) if kind == "number" else repr(value)
    if type(value) is float and kind == "number" and value == value and abs(value) < 1e15:
        return repr(value)
    raise _Outside


def _default(value: Any) -> str:
    if value is None or type(value) is bool:
        return repr(value)
    if type(value) is int and abs(value) < 10**15:
        return repr(value)
    if type(value) is float and value == value and 1e-4 <= abs(value) < 1e15:
        return repr(value)
    if type(value) is float and value == 0.0:
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    raise _Outside
