"""Pipeline: the fast "is generated/ up to date?" check, without loading or emitting anything.

``musicbind check`` calls :func:`is_fresh` first: it hashes the specs folder's
inputs and the generator, and compares them and the generated files' bytes with
``_manifest.json``. Only when something differs does the full pipeline run.
Kept free of heavy imports (no pydantic, jinja2 or loaders) so it stays fast.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from musicbind.generator.settings import (
    DEFAULT_OVERLAY_NAME,
    BuildSettings,
    display_path,
)

MANIFEST_NAME = "_manifest.json"
SPECS_MANIFEST = "manifest.yaml"
_SAFE_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.py|\.json|\.md|\.typed)?")  # the whole part
_MAX_PART = 200  # file systems refuse names past 255 bytes
_HASHED_TOOLS = ("datamodel-code-generator", "ruff")


class UnsafePathError(ValueError):
    """An emitted path would leave the output folder or is not a plain module path."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the last run produced and from what."""

    version: str
    generator: str
    inputs: dict[str, str]
    files: dict[str, dict[str, str]]  # path -> {"sha256": ..., "key": ...}
    package: str = ""  # the import name the tree was generated for (its docs' imports say it)
    # Set only by a run with errors (see generator.last_good): the inputs with errors and
    # the models kept as last generated (ref -> {"files": [...], "because": [...]}).
    errors: tuple[str, ...] = ()
    kept: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # The documents that yield no model (a warning; `--strict` makes it an error).
    empty: tuple[str, ...] = ()

    def as_text(self) -> str:
        """Stable JSON text of the manifest (a run without errors writes no error keys)."""
        data: dict[str, Any] = {
            "generated_by": f"musicbind {self.version}",
            "generator": self.generator,
            "package": self.package,
            "inputs": self.inputs,
            "files": self.files,
        }
        if self.errors:
            data["errors"] = list(self.errors)
        if self.kept:
            data["kept"] = self.kept
        if self.empty:
            data["documents_without_models"] = list(self.empty)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    def settled(self, *, strict: bool = False) -> bool:
        """No input had errors when it was written (``strict``: and none yielded no model)."""
        return not self.errors and not self.kept and not (strict and self.empty)


def sha(text: str) -> str:
    """sha256 hex of text as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_hex(data: bytes) -> str:
    """sha256 hex of bytes."""
    return hashlib.sha256(data).hexdigest()


@cache
def generator_hash() -> str:
    """Hash of the generator's code and templates and of the tools whose output we ship."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for tool in _HASHED_TOOLS:
        digest.update(f"{tool}=={version(tool)}\n".encode())
    for file in sorted(root.rglob("*")):
        # The wheel's default overlay is an input (hashed as such), not generator code.
        if file.name == DEFAULT_OVERLAY_NAME or "__pycache__" in file.parts:
            continue
        if file.suffix in {".py", ".j2", ".yaml"}:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def safe_target(out: Path, relative: str) -> Path:
    """``out / relative``, refusing absolute paths, ``..``, odd names and escapes via links."""
    parts = relative.split("/")
    plain = all(_SAFE_PART.fullmatch(part) and len(part) <= _MAX_PART for part in parts)
    if relative.startswith("/") or not plain:
        raise UnsafePathError(f"refusing to write {relative!r}: not a plain relative module path")
    target = out.joinpath(*parts)
    if not target.resolve().is_relative_to(out.resolve()):
        raise UnsafePathError(f"refusing to write {relative!r}: it resolves outside {out}")
    return target


def read_manifest(out: Path) -> Manifest | None:
    """The manifest of a previous run, or None when absent or unreadable."""
    try:
        data: Any = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        return Manifest(
            version=str(data["generated_by"]).removeprefix("musicbind "),
            generator=str(data["generator"]),
            inputs=dict(data["inputs"]),
            files={str(k): dict(v) for k, v in data["files"].items()},
            package=str(data.get("package", "")),
            errors=tuple(str(e) for e in data.get("errors", ())),
            kept={str(k): dict(v) for k, v in data.get("kept", {}).items()},
            empty=tuple(str(e) for e in data.get("documents_without_models", ())),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def spec_input_hashes(specs: Path, settings: BuildSettings | None = None) -> dict[str, str] | None:
    """Hashes of manifest, overlays and listed documents, without loading them (None: unreadable).

    The keys are the display paths the pipeline gives the same files.
    """
    settings = settings or BuildSettings()
    base = settings.display_base(specs)
    inputs: dict[str, str] = {}
    try:
        manifest_bytes = (specs / SPECS_MANIFEST).read_bytes()
        inputs[display_path(specs / SPECS_MANIFEST, base)] = sha256_hex(manifest_bytes)
        for layer in settings.overlay_files(specs):
            inputs[layer.display] = sha256_hex(layer.path.read_bytes())
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(manifest_bytes, Loader=loader)  # noqa: S506 - a safe loader
        for entry in data["documents"]:
            target = specs / str(entry["path"])
            inputs[display_path(target, base)] = sha256_hex(target.read_bytes())
    except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
        return None
    return dict(sorted(inputs.items()))


def up_to_date(
    out: Path,
    inputs: Mapping[str, str],
    generator: str,
    package: str | None = None,
    *,
    strict: bool = False,
) -> bool:
    """Same inputs, generator (and package name) as the manifest, files untouched on disk,
    and no input had errors (``strict``: nor yielded no model) when it was written."""
    manifest = read_manifest(out)
    if manifest is None or manifest.generator != generator or manifest.inputs != dict(inputs):
        return False
    if not manifest.settled(strict=strict):
        return False
    if package is not None and manifest.package != package:
        return False
    for path, entry in manifest.files.items():
        try:
            if sha(safe_target(out, path).read_text(encoding="utf-8")) != entry.get("sha256"):
                return False
        except (OSError, UnsafePathError, UnicodeDecodeError):
            return False
    return not extra_modules(out, manifest.files)


def extra_modules(out: Path, known: Mapping[str, Any]) -> list[str]:
    """Python files in ``out`` that no run generated."""
    found = {
        p.relative_to(out).as_posix() for p in out.rglob("*.py") if "__pycache__" not in p.parts
    }
    return sorted(found - set(known))


def is_fresh(
    specs: Path, out: Path, settings: BuildSettings | None = None, *, strict: bool = False
) -> bool:
    """The whole fast check: True only when nothing needs regenerating and no input has errors
    (``strict``: and every document yields a model)."""
    settings = settings or BuildSettings()
    inputs = spec_input_hashes(specs, settings)
    package = settings.package_name(out)
    return inputs is not None and up_to_date(out, inputs, generator_hash(), package, strict=strict)
