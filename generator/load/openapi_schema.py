"""Load stage: OpenAPI schemas -> the SpecParam, SpecType and SpecShape records of one model.

Decisions (see also :mod:`generator.load.openapi_facts`):

* An object schema with properties becomes a :class:`SpecShape`; the parameter is ``OBJECT``
  with ``ref`` = the shape's name. A schema under ``components/schemas`` keeps its name
  (``Audio``); an inline one is named after where it sits: owner + property in CamelCase
  (``MyInput`` + ``voice_settings`` -> ``MyInputVoiceSettings``), ``Item`` for array items,
  ``Option<n>`` for one of several union variants, with a number appended on a clash. A
  schema's ``title`` is not used for names: pydantic writes class names there, and they clash.
* An object without properties is ``OBJECT`` with ``ref`` None (a free-form mapping).
* Shapes are remembered by JSON pointer, so a shape that refers to itself (directly or through
  others) is read once; a chain of bare references that returns to itself without passing
  through an object with properties never reaches a type and is an error.
* ``format: binary`` stays ``STRING``: ``FILE`` means a reference the runtime can hand over (a
  URL or an asset id), and raw bytes only travel in multipart bodies, which bindings don't send.
* A schema with no ``type`` takes it from its ``enum`` values, ``properties``/``items``, numeric
  bounds (``number``) or length/pattern (``string``), so no constraint is lost.
* ``x-fal-order-properties`` orders the fields; properties it leaves out follow in document
  order. UI hints (``ui``, ``_fal_ui_field``, ``x-*``) are ignored.
"""

from __future__ import annotations

from dataclasses import replace

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_checks import check_param
from musicbind.generator.load.openapi_document import (
    OpenApiDocument,
    as_mapping,
    as_text,
    component_name,
    show,
)
from musicbind.generator.load.openapi_facts import (
    Facts,
    lift_item_constraints,
    overlay,
    read_keywords,
    union_constraints,
)
from musicbind.generator.load.openapi_structure import (
    ANY_VALUE,
    MAX_DEPTH,
    STRUCTURE_KEYS,
    Part,
    camel,
    declares_null,
    inferred_kinds,
    is_null_schema,
    object_parts,
    type_kinds,
)
from musicbind.generator.load.records import JsonValue, SpecParam, SpecShape, SpecType, TypeKind

MAX_STEPS = 50_000  # schema nodes read for one model; guards against alias bombs


class SchemaReader:
    """Reads the schemas of one model; shape names are unique within that model."""

    def __init__(self, doc: OpenApiDocument) -> None:
        self._doc = doc
        self._names: dict[str, str] = {}  # schema pointer -> shape name, in order of first use
        self._shapes: dict[str, SpecShape] = {}
        self._taken: set[str] = set(doc.component_schemas())
        self._chain: tuple[str, ...] = ()  # bare references being followed right now
        self._steps = 0

    def shapes(self) -> tuple[SpecShape, ...]:
        """Every shape read so far, in order of first use."""
        return tuple(self._shapes[p] for p in self._names if p in self._shapes)

    def read_object(
        self, schema: JsonValue, pointer: str, hint: str
    ) -> tuple[SpecParam, ...] | None:
        """The properties of an object schema as parameters; None when it is not an object."""
        parts = object_parts(self._doc, schema, pointer)
        if parts is None:
            return () if self._is_empty_object(schema, pointer) else None
        only = component_name(parts[0].pointer) if len(parts) == 1 else None
        return self._read_fields(parts, only or hint, depth=0)

    def _is_empty_object(self, schema: JsonValue, pointer: str) -> bool:
        target = self._doc.follow(schema, pointer)
        mapping = as_mapping(target.value) if target else None
        return mapping is not None and mapping.get("type") == "object"

    def _read_fields(self, parts: list[Part], owner: str, depth: int) -> tuple[SpecParam, ...]:
        properties: dict[str, tuple[JsonValue, str]] = {}
        for part in parts:
            base = pointer_child(part.pointer, "properties")
            for name, schema in (as_mapping(part.schema.get("properties")) or {}).items():
                properties[name] = (schema, pointer_child(base, name))
        required: set[str] = set()
        order: list[str] = []
        for part in parts:
            required |= self._read_required(part, properties)
            order += self._read_order(part, properties)
        params = []
        for name in dict.fromkeys([*order, *properties]):
            schema, pointer = properties[name]
            param = self._read_param(name, schema, pointer, name in required, owner, depth)
            if param is not None:
                params.append(param)
        return tuple(params)

    def _read_required(self, part: Part, properties: dict[str, tuple[JsonValue, str]]) -> set[str]:
        raw = part.schema.get("required")
        where = pointer_child(part.pointer, "required")
        if raw is None:
            return set()
        if not isinstance(raw, list):
            self._doc.error(
                where, f"required must be a list of property names, got {show(raw)}; it is ignored"
            )
            return set()
        names = set()
        for index, name in enumerate(raw):
            if not isinstance(name, str):
                self._doc.error(
                    pointer_child(where, index),
                    f"required lists {show(name)}, which is not a property name; it is ignored",
                )
            elif name not in properties:
                self._doc.warning(
                    pointer_child(where, index),
                    f"'{name}' is listed as required but there is no property '{name}'; "
                    "add the property or remove it from required",
                )
            else:
                names.add(name)
        return names

    def _read_order(self, part: Part, properties: dict[str, tuple[JsonValue, str]]) -> list[str]:
        raw = part.schema.get("x-fal-order-properties")
        where = pointer_child(part.pointer, "x-fal-order-properties")
        if raw is None:
            return []
        if not isinstance(raw, list):
            self._doc.warning(
                where,
                f"x-fal-order-properties should be a list of property names, got {show(raw)}; "
                "it is ignored",
            )
            return []
        order = []
        for index, name in enumerate(raw):
            if isinstance(name, str) and name in properties:
                order.append(name)
            else:
                self._doc.warning(
                    pointer_child(where, index),
                    f"x-fal-order-properties names {show(name)}, which is not a property here; "
                    "it is ignored",
                )
        return order

    def _read_param(
        self, name: str, schema: JsonValue, pointer: str, required: bool, owner: str, depth: int
    ) -> SpecParam | None:
        if not isinstance(schema, dict | bool):
            self._doc.error(
                pointer,
                f'property \'{name}\' must be a schema (a mapping such as {{"type": "string"}}), '
                f"got {show(schema)}; the property is skipped",
            )
            return None
        facts = check_param(
            self.describe(schema, pointer, owner + camel(name), depth + 1), pointer, self._doc
        )
        return SpecParam(
            wire_name=name,
            type=facts.typed(),
            required=required,
            location=self._doc.locate(pointer),
            description=facts.description,
            has_default=facts.has_default,
            default=facts.default,
            allowed=facts.allowed,
            minimum=facts.minimum,
            maximum=facts.maximum,
            exclusive_minimum=facts.exclusive_minimum,
            exclusive_maximum=facts.exclusive_maximum,
            min_length=facts.min_length,
            max_length=facts.max_length,
            min_items=facts.min_items,
            max_items=facts.max_items,
            pattern=facts.pattern,
            examples=facts.examples,
            title=facts.title,
        )

    def describe(self, schema: JsonValue, pointer: str, hint: str, depth: int) -> Facts:
        """What ``schema`` says about a value; ``hint`` names an inline shape it may define."""
        self._steps += 1
        if depth > MAX_DEPTH or self._steps > MAX_STEPS:
            return self._too_big(pointer, depth)
        if isinstance(schema, bool):
            if not schema:
                self._doc.error(
                    pointer, f"the schema false allows no value at all; it is {ANY_VALUE}"
                )
            return Facts()
        mapping = as_mapping(schema)
        if mapping is None:
            self._doc.error(
                pointer, f"a schema must be a mapping, got {show(schema)}; it is {ANY_VALUE}"
            )
            return Facts()
        own = read_keywords(mapping, pointer, self._doc)
        if "$ref" in mapping:
            return overlay(self._describe_ref(mapping["$ref"], pointer, hint, depth), own)
        if "allOf" in mapping:
            return overlay(self._describe_all_of(mapping, pointer, hint, depth), own)
        for key in ("anyOf", "oneOf"):
            if key in mapping:
                inner = self._describe_any_of(
                    mapping[key], pointer_child(pointer, key), hint, depth
                )
                return overlay(inner, own)
        return self._describe_typed(mapping, own, pointer, hint, depth)

    def _too_big(self, pointer: str, depth: int) -> Facts:
        if depth > MAX_DEPTH:
            self._doc.error(
                pointer,
                f"schemas nest more than {MAX_DEPTH} levels deep here; this one is {ANY_VALUE}",
            )
        elif self._steps == MAX_STEPS + 1:
            self._doc.error(
                pointer,
                f"this model's schemas have more than {MAX_STEPS} parts; the rest is {ANY_VALUE}",
            )
        return Facts()

    def _describe_ref(self, ref: JsonValue, pointer: str, hint: str, depth: int) -> Facts:
        at = pointer_child(pointer, "$ref")
        target = self._doc.resolve(ref, at)
        if target is None:
            return Facts()
        if target.pointer in self._names:  # a shape already (being) read: same type again
            ref_type = SpecType(TypeKind.OBJECT, ref=self._names[target.pointer])
            return Facts(type=ref_type, nullable=declares_null(target.value))
        if target.pointer in self._chain:
            self._doc.error(
                at,
                f"$ref {show(ref)} leads back to itself without passing through an object with "
                f"properties, so it never reaches a type; it is {ANY_VALUE}",
            )
            return Facts()
        last = target.pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        self._chain += (target.pointer,)
        inner = self.describe(target.value, target.pointer, camel(last), depth + 1)
        self._chain = self._chain[:-1]
        if inner.type.kind is TypeKind.OBJECT and inner.type.ref is not None:
            return inner.without_annotations()  # the shape keeps its own description
        return inner

    def _describe_all_of(
        self, schema: dict[str, JsonValue], pointer: str, hint: str, depth: int
    ) -> Facts:
        elements = schema["allOf"]
        where = pointer_child(pointer, "allOf")
        if not isinstance(elements, list) or not elements:
            self._doc.error(
                where,
                f"allOf must be a non-empty list of schemas, got {show(elements)}; "
                f"it is {ANY_VALUE}",
            )
            return Facts()
        pointers = [pointer_child(where, index) for index in range(len(elements))]
        typed = [
            i
            for i, e in enumerate(elements)
            if not STRUCTURE_KEYS.isdisjoint(as_mapping(e) or {"type"})
        ]
        if len(typed) == 1 and "properties" not in schema:
            facts = self.describe(elements[typed[0]], pointers[typed[0]], hint, depth + 1)
            for index, element in enumerate(elements):
                mapping = as_mapping(element)
                if index not in typed and mapping is not None:
                    facts = overlay(facts, read_keywords(mapping, pointers[index], self._doc))
            return facts
        parts = object_parts(self._doc, schema, pointer)
        if parts is not None:
            return Facts(
                type=SpecType(TypeKind.OBJECT, ref=self._shape(pointer, parts, hint, schema, depth))
            )
        if typed:
            self._doc.warning(
                where,
                "allOf combines schemas that are not all objects with properties; musicbind "
                f"cannot merge those, so the value is {ANY_VALUE}",
            )
        return Facts()

    def _describe_any_of(self, variants: JsonValue, where: str, hint: str, depth: int) -> Facts:
        keyword = where.rsplit("/", 1)[-1]
        if not isinstance(variants, list) or not variants:
            self._doc.error(
                where,
                f"{keyword} must be a non-empty list of schemas, got {show(variants)}; "
                f"it is {ANY_VALUE}",
            )
            return Facts()
        concrete = [
            (v, pointer_child(where, i)) for i, v in enumerate(variants) if not is_null_schema(v)
        ]
        nullable = len(concrete) < len(variants)
        described = [
            self.describe(v, p, hint if len(concrete) == 1 else f"{hint}Option{i + 1}", depth + 1)
            for i, (v, p) in enumerate(concrete)
        ]
        if not described:
            return Facts(nullable=True)
        if len(described) == 1:
            return replace(described[0], nullable=described[0].nullable or nullable)
        types = list(dict.fromkeys(f.typed() for f in described))
        nullable = nullable or any(t.nullable for t in types)
        merged = union_constraints(described)
        if len(types) == 1:
            return replace(merged, type=types[0], nullable=nullable)
        return replace(
            merged, type=SpecType(TypeKind.UNION, variants=tuple(types)), nullable=nullable
        )

    def _describe_typed(
        self, schema: dict[str, JsonValue], own: Facts, pointer: str, hint: str, depth: int
    ) -> Facts:
        kinds, type_null = type_kinds(self._doc, schema, pointer)
        if kinds is None:
            kinds = inferred_kinds(schema, own)
        facts = replace(own, nullable=True) if type_null and not own.nullable else own
        types = []
        for kind in kinds:
            spec_type, items = self._build(kind, schema, pointer, hint, depth)
            types.append(spec_type)
            if items is not None:
                facts = lift_item_constraints(facts, items)
        if not types:
            return replace(facts, type=SpecType(TypeKind.ANY))
        if len(types) == 1:
            return replace(facts, type=types[0])
        return replace(facts, type=SpecType(TypeKind.UNION, variants=tuple(types)))

    def _build(
        self, kind: TypeKind, schema: dict[str, JsonValue], pointer: str, hint: str, depth: int
    ) -> tuple[SpecType, Facts | None]:
        if kind is TypeKind.ARRAY:
            return self._build_array(schema, pointer, hint, depth)
        if kind is TypeKind.OBJECT:
            return self._build_object(schema, pointer, hint, depth), None
        return SpecType(kind), None

    def _build_array(
        self, schema: dict[str, JsonValue], pointer: str, hint: str, depth: int
    ) -> tuple[SpecType, Facts | None]:
        items = schema.get("items")
        where = pointer_child(pointer, "items")
        if items is None:
            return SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.ANY)), None
        if isinstance(items, list):
            self._doc.warning(
                where,
                "items should be one schema; a list of schemas (tuple form) is not supported, "
                f"so the items are {ANY_VALUE}",
            )
            return SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.ANY)), None
        item_facts = self.describe(items, where, hint + "Item", depth + 1)
        return SpecType(TypeKind.ARRAY, items=item_facts.typed()), item_facts

    def _build_object(
        self, schema: dict[str, JsonValue], pointer: str, hint: str, depth: int
    ) -> SpecType:
        properties = schema.get("properties")
        if properties is not None and not isinstance(properties, dict):
            self._doc.error(
                pointer_child(pointer, "properties"),
                f"properties must map property names to schemas, got {show(properties)}; "
                "the object is read as a free-form mapping",
            )
        parts = object_parts(self._doc, schema, pointer)
        if parts is None:
            return SpecType(TypeKind.OBJECT)
        return SpecType(TypeKind.OBJECT, ref=self._shape(pointer, parts, hint, schema, depth))

    def _shape(
        self, pointer: str, parts: list[Part], hint: str, schema: dict[str, JsonValue], depth: int
    ) -> str:
        if pointer in self._names:
            return self._names[pointer]
        name = component_name(pointer) or self._unique(hint)
        self._names[pointer] = name
        self._taken.add(name)
        outer_chain, self._chain = self._chain, ()
        fields = self._read_fields(parts, name, depth)
        self._chain = outer_chain
        descriptions = [as_text(schema.get("description"))] + [
            as_text(p.schema.get("description")) for p in parts
        ]
        description = next((d for d in descriptions if d), "")
        self._shapes[pointer] = SpecShape(name, fields, self._doc.locate(pointer), description)
        return name

    def _unique(self, base: str) -> str:
        name, number = base, 2
        while name in self._taken:
            name, number = f"{base}{number}", number + 1
        return name
