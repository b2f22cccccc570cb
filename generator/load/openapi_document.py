"""Load stage: one parsed OpenAPI document: located problems and local ``$ref`` lookups.

Only references inside the document (``#/components/schemas/X``, RFC 6901 escaping with
``~0``/``~1``, percent-encoding allowed) are followed. A reference to another file or to a URL
is refused with an error; it is never read or fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from musicbind.generator.load.document_text import DocumentText
from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.records import JsonValue, Level, Location, SpecProblem

COMPONENT_SCHEMAS = "/components/schemas"
SWAGGER_DEFINITIONS = "/definitions"


@dataclass(frozen=True, slots=True)
class Target:
    """What a reference points at: the value and its canonical JSON pointer."""

    value: JsonValue
    pointer: str


def as_mapping(value: JsonValue) -> dict[str, JsonValue] | None:
    """The value when it is a JSON object, else None."""
    return value if isinstance(value, dict) else None


def as_text(value: JsonValue) -> str | None:
    """The value when it is a string, else None."""
    return value if isinstance(value, str) else None


def show(value: JsonValue) -> str:
    """A short, quoted rendering of a document value for a problem message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def component_name(pointer: str) -> str | None:
    """``X`` for the pointer ``/components/schemas/X`` (Swagger 2.0: ``/definitions/X``),
    unescaped; else None."""
    for prefix in (COMPONENT_SCHEMAS + "/", SWAGGER_DEFINITIONS + "/"):
        if pointer.startswith(prefix) and "/" not in pointer[len(prefix) :]:
            return pointer[len(prefix) :].replace("~1", "/").replace("~0", "~")
    return None


class OpenApiDocument:
    """The parsed document plus the problems found in it so far."""

    def __init__(self, text: DocumentText, path: str) -> None:
        self.root: JsonValue = text.value
        self.path = path
        self._text = text
        self._base = ""  # where this document sits in the file (an embedded one: not "")
        self._problems: list[SpecProblem] = list(text.problems)

    def embedded(self, pointer: str, value: JsonValue) -> OpenApiDocument:
        """The OpenAPI document embedded at ``pointer`` of this file (fal's models API).

        Its ``$ref`` values point inside it; its problems are located in the whole file.
        """
        inner = OpenApiDocument(self._text, self.path)
        inner.root, inner._base, inner._problems = value, self._base + pointer, []
        return inner

    def locate(self, pointer: str) -> Location:
        """The location of a JSON pointer in this document (with its line when known)."""
        return self._text.locate(self.path, self._base + pointer)

    def error(self, pointer: str, message: str) -> None:
        """Record an error at ``pointer``."""
        self._problems.append(SpecProblem(Level.ERROR, self.locate(pointer), message))

    def warning(self, pointer: str, message: str) -> None:
        """Record a warning at ``pointer``."""
        self._problems.append(SpecProblem(Level.WARNING, self.locate(pointer), message))

    def problems(self) -> tuple[SpecProblem, ...]:
        """Every problem recorded, in order, each reported once."""
        return tuple(dict.fromkeys(self._problems))

    def component_schemas(self) -> dict[str, JsonValue]:
        """``components.schemas`` (Swagger 2.0: ``definitions``; empty when missing)."""
        root = as_mapping(self.root) or {}
        components = as_mapping(root.get("components")) or {}
        found = as_mapping(components.get("schemas"))
        return found if found is not None else (as_mapping(root.get("definitions")) or {})

    def resolve(self, ref: JsonValue, at: str) -> Target | None:
        """Follow the ``$ref`` found at ``at`` (the ``$ref`` key's pointer, where problems go)."""
        if not isinstance(ref, str):
            self.error(
                at, f"$ref must be a string such as '#/components/schemas/Audio', got {show(ref)}"
            )
            return None
        if not ref.startswith("#"):
            self.error(
                at,
                f"$ref '{ref}' points into another file or a URL; musicbind only follows "
                "references inside this document ('#/...') and never reads or fetches others: "
                "copy the schema into components/schemas and refer to it there",
            )
            return None
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            self.error(at, f"$ref '{ref}' is not a JSON pointer: after '#' it must start with '/'")
            return None
        return self._walk(ref, fragment, at)

    def follow(self, value: JsonValue, pointer: str) -> Target | None:
        """Follow ``$ref`` chains of non-schema objects (request bodies, responses)."""
        seen: set[str] = set()
        target = Target(value, pointer)
        while (mapping := as_mapping(target.value)) is not None and "$ref" in mapping:
            if target.pointer in seen:
                self.error(
                    pointer, "these references lead round in a circle and never reach an object"
                )
                return None
            seen.add(target.pointer)
            next_target = self.resolve(mapping["$ref"], pointer_child(target.pointer, "$ref"))
            if next_target is None:
                return None
            target = next_target
        return target

    def payload_examples(
        self, schema: JsonValue, pointer: str, media: dict[str, JsonValue] | None
    ) -> tuple[JsonValue, ...]:
        """Whole example payloads (objects) of a request or response body: the schema's
        ``examples``/``example`` (after ``$ref``), then the media object's; ``examples`` may
        be a list or named Example objects (their ``value``)."""
        target = self.follow(schema, pointer)
        found: list[JsonValue] = []
        for holder in (as_mapping(target.value) if target else None, media):
            if holder is None:
                continue
            raw = holder.get("examples")
            if isinstance(raw, dict):
                raw = [e["value"] for e in raw.values() if isinstance(e, dict) and "value" in e]
            if isinstance(raw, list):
                found.extend(e for e in raw if isinstance(e, dict))
            if isinstance(holder.get("example"), dict):
                found.append(holder["example"])
        return tuple(found)

    def _walk(self, ref: str, fragment: str, at: str) -> Target | None:
        value: JsonValue = self.root
        pointer = ""
        for token in fragment.split("/")[1:] if fragment else []:
            key = token.replace("~1", "/").replace("~0", "~")
            found, value = _step(value, key)
            if not found:
                where = pointer or "the document root"
                self.error(at, f"$ref '{ref}' points at nothing: there is no '{key}' under {where}")
                return None
            pointer = pointer_child(pointer, key)
        return Target(value, pointer)


def _step(value: JsonValue, key: str) -> tuple[bool, JsonValue]:
    if isinstance(value, dict):
        return (key in value), value.get(key)
    if isinstance(value, list) and key.isascii() and key.isdigit() and int(key) < len(value):
        return True, value[int(key)]
    return False, None
