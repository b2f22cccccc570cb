"""Registry stage: the one authority that turns spec names into Python identifiers.

Every identifier in generated code (packages, modules, classes, attributes,
methods) comes from here. Spec names may hold anything: keywords, leading
digits, hyphens, dots, path separators, unicode look-alikes, emoji. The rules:

* NFKC-normalise (Python does the same to identifiers, so look-alikes such as a
  fullwidth ``ｄ`` would otherwise silently collide), strip accents, keep ASCII
  letters and digits, split words on everything else and on camelCase humps;
* a leading digit gets a prefix (``1st`` -> ``n_1st`` / ``N1st``);
* keywords, soft keywords, builtins used by generated code and pydantic's
  ``BaseModel`` attributes get a trailing underscore;
* collisions inside one scope are resolved in order of appearance with ``_2``,
  ``_3``... so the same input always yields the same names.
"""

from __future__ import annotations

import hashlib
import keyword
import re
import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel

_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_PROVIDER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# Names a generated attribute must not take: they would shadow what the generated
# code or pydantic relies on.
_RESERVED_ATTRIBUTES: frozenset[str] = frozenset(
    {*keyword.kwlist, *keyword.softkwlist, "self", "cls", "info", "context"}
    | {name for name in dir(BaseModel) if not name.startswith("__")}
    | {"l", "O", "I"}  # names that read as 1 and 0: linters refuse them (E741)
)
_RESERVED_MODULES: frozenset[str] = frozenset(
    {*keyword.kwlist, *keyword.softkwlist, "client", "runtime", "generated", "typing", "pydantic"}
    | {"l", "O", "I"}  # a module's name is also its client method's (E743)
)
# Names the generated model modules import or define themselves.
RESERVED_CLASS_NAMES: frozenset[str] = frozenset(
    {
        "Annotated",
        "Any",
        "BINDING",
        "Binding",
        "BaseModel",
        "Decimal",
        "Field",
        "InputModel",
        "Literal",
        "OutputModel",
        "PriceRule",
        "RootModel",
        "Self",
        "StrictBool",
        "StrictFloat",
        "StrictInt",
        "StrictStr",
        "ValidationInfo",
        "model_validator",
        "segment_within_media",
        "I",  # reads as 1 (E742)
        "O",  # reads as 0 (E742)
        *keyword.kwlist,
        *keyword.softkwlist,
    }
)
_RESERVED_METHODS: frozenset[str] = frozenset(
    {*keyword.kwlist, *keyword.softkwlist, "submit", "run", "quote", "estimate_cost", "close"}
)


def words(name: str) -> list[str]:
    """Split any spec name into lowercase ASCII words (may be empty)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = text.encode("ascii", "ignore").decode("ascii")
    text = _HUMP.sub(" ", text)
    return [part.lower() for part in _NON_WORD.split(text) if part]


def snake(name: str, *, fallback: str = "field", digit_prefix: str = "n") -> str:
    """``numSamples`` -> ``num_samples``; never empty, never starts with a digit."""
    parts = words(name)
    result = "_".join(parts) if parts else fallback
    if result[:1].isdigit():
        result = f"{digit_prefix}_{result}"
    return result


def pascal(name: str, *, fallback: str = "Model", digit_prefix: str = "N") -> str:
    """``sonilo/v1.1/video-to-music`` -> ``SoniloV11VideoToMusic``."""
    parts = words(name)
    result = "".join(part[:1].upper() + part[1:] for part in parts) if parts else fallback
    if result[:1].isdigit():
        result = f"{digit_prefix}{result}"
    return result


class Scope:
    """A namespace in which every assigned name is unique (a class, a module, a package)."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._taken: set[str] = set(reserved)

    def claim(self, candidate: str) -> str:
        """Return ``candidate`` or, if taken, the first free ``candidate_2``, ``candidate_3``..."""
        name = candidate
        counter = 2
        while name in self._taken:
            name = f"{candidate}_{counter}" if candidate[-1:] != "_" else f"{candidate}{counter}"
            counter += 1
        self._taken.add(name)
        return name


def attribute_name(wire_name: str) -> str:
    """The python attribute for a wire name, before collision handling."""
    name = snake(wire_name)
    return f"{name}_" if name in _RESERVED_ATTRIBUTES else name


def attribute_names(wire_names: Iterable[str]) -> list[str]:
    """Attribute names for one class's fields, unique, in the given order."""
    scope = Scope(_RESERVED_ATTRIBUTES)
    return [scope.claim(attribute_name(wire)) for wire in wire_names]


# Keyword arguments and names the generated client methods use themselves.
_RESERVED_PARAMETERS: frozenset[str] = frozenset(
    {"self", "timeout", "on_progress", "max_cost", "media_duration", "output_type", "present"}
)


def parameter_names(attributes: Iterable[str]) -> list[str]:
    """Client-method keyword names for a model's attributes (attribute names, unless reserved)."""
    scope = Scope(_RESERVED_PARAMETERS)
    names = list(attributes)
    for name in names:
        if name not in _RESERVED_PARAMETERS:
            scope.claim(name)
    return [scope.claim(f"{n}_") if n in _RESERVED_PARAMETERS else n for n in names]


def model_stem(model_id: str) -> str:
    """The words that name a model: the id without a leading ``model_`` (Scenario's prefix)."""
    stem = re.sub(r"^model[_-]", "", model_id.strip())
    return stem or model_id


# Module names become file names: past this length a name is cut and keeps a hash of the id
# (file systems refuse names over 255 bytes; a 5,000-character model id must still generate).
MAX_MODULE_NAME = 64


def module_name(model_id: str) -> str:
    """The module (and method) stem for a model id, before collision handling."""
    name = snake(model_stem(model_id), fallback="model", digit_prefix="m")
    if len(name) > MAX_MODULE_NAME:
        digest = hashlib.sha256(model_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        name = f"{name[: MAX_MODULE_NAME - 9].rstrip('_')}_{digest}"
    return f"{name}_" if name in _RESERVED_MODULES or name.startswith("_") else name


def method_name(module: str) -> str:
    """The client method for a model whose module is ``module``."""
    return f"{module}_" if module in _RESERVED_METHODS else module


def class_stem(model_id: str) -> str:
    """The class-name stem for a model id: ``SoniloV11VideoToMusic``."""
    return pascal(model_stem(model_id))


def provider_package(provider: str) -> str:
    """The package name for a provider; only plain lowercase names are accepted."""
    if not _PROVIDER.match(provider) or keyword.iskeyword(provider):
        raise ValueError(
            f"provider name {provider!r} must be lowercase letters, digits and underscores"
        )
    return provider


def client_class(provider: str, display_name: str) -> str:
    """``fal`` -> ``FalClient``; ``aigateway`` / ``AIgateway`` -> ``AIgatewayClient``."""
    stem = pascal(display_name, fallback="") or pascal(provider)
    if not display_name.isascii() or not stem:
        stem = pascal(provider)
    return f"{stem}Client"
