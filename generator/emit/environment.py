"""Emit stage: what every emitter shares: the jinja2 environment, its filters, file headers.

The bottom of ``generator/emit``: the modules that render files (model modules, clients,
reference pages) import from here, and this module imports none of them, so every import
arrow in the stage points down.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from musicbind.generator.emit.literals import clean_text, comment_text, py_literal
from musicbind.generator.freshness import cache_dir
from musicbind.generator.registry.model import Model

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Past this many sources a header names the first and a combined hash instead of each.
HEADER_SOURCES = 4


@dataclass(frozen=True, slots=True)
class EmitContext:
    """What the headers say: version, sources and how to regenerate."""

    version: str
    sources: Mapping[str, str]  # display path -> sha256 hex of every input document
    regenerate: str  # the command that regenerates this tree
    generator_hash: str  # hash of the generator's own code and templates
    package: str = "generated"  # import name of the emitted package (for the reference docs)


@dataclass(frozen=True, slots=True)
class PlannedFile:
    """A file to emit: its path, its cache key (covering all the file shows), how to render it."""

    path: str
    key: str
    render: Callable[[], str]


def template_file(path: str, key: str, template: str, **variables: Any) -> PlannedFile:
    """A file rendered from ``template`` with ``variables`` (only when its key is not cached)."""
    return PlannedFile(path, key, partial(render_template, template, variables))


def built_template_file(
    path: str, key: str, template: str, variables: Callable[[], dict[str, Any]]
) -> PlannedFile:
    """A file rendered from ``template`` with what ``variables()`` builds: the variables cost
    nothing when the file is reused from the cache."""
    return PlannedFile(path, key, partial(_render_built, template, variables))


def _render_built(template: str, variables: Callable[[], dict[str, Any]]) -> str:
    return render_template(template, variables())


def render_template(template: str, variables: dict[str, Any]) -> str:
    """``template`` rendered with ``variables``."""
    return environment().get_template(template).render(**variables)


def digest(*parts: str) -> str:
    """sha256 hex of ``parts`` joined by newlines: the cache keys of emitted files."""
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def docstring(text: str, indent: int = 0) -> str:
    """A safe triple-quoted docstring literal for prose from a spec.

    The one docstring style of generated code: text starts after the opening quotes;
    a one-line text closes on its line, a longer one on a line of its own.
    """
    # Every quote is escaped: a triple quote or a quote before the closing one cannot end it.
    body = clean_text(text).replace("\\", "\\\\").replace('"', '\\"')
    if "\n" not in body:
        return f'"""{body}"""'
    pad = " " * indent
    lines = [f"{pad}{line}" if line else "" for line in body.split("\n")]
    return '"""' + lines[0].lstrip() + "\n" + "\n".join(lines[1:]) + f"\n{pad}" + '"""'


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """The templates' compiled code, kept in the user's cache folder (compiling them cost a
    tenth of a regeneration after one change); a missing, damaged or unwritable cache only
    costs the compilation. An entry is used only for the same template source (jinja2
    checks its hash) and the same jinja2 and Python."""

    def __init__(self) -> None:
        folder = cache_dir() / "templates"
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
        super().__init__(str(folder))

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def environment() -> jinja2.Environment:
    """The jinja2 environment: StrictUndefined, no autoescape (output is Python, not HTML)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        bytecode_cache=_CompiledTemplates(),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701
    )
    env.filters["py"] = py_literal
    env.filters["docstring"] = docstring
    env.filters["comment"] = comment_text
    return env


def source_hashes(context: EmitContext, model: Model) -> list[str]:
    """``path=sha256`` of each of ``model``'s documents: with the version and regenerate
    command, all a header shows (a cache key holds these instead of the rendered header)."""
    return [f"{path}={context.sources.get(path, '')}" for path in model.sources]


def header(context: EmitContext, sources: list[str]) -> str:
    """The three header lines every generated file starts with."""
    if len(sources) > HEADER_SOURCES:
        combined = digest(*(f"{p}={context.sources.get(p, '')}" for p in sources))
        shown = (
            f"{comment_text(sources[0])} and {len(sources) - 1} more documents "
            f"(sha256:{combined[:12]})"
        )
    else:
        shown = ", ".join(
            f"{comment_text(path)} (sha256:{context.sources.get(path, '')[:12]})"
            for path in sources
        )
    return (
        f"# Generated by musicbind {context.version} from {shown}. DO NOT EDIT.\n"
        f"# Regenerate with: {comment_text(context.regenerate)}\n"
        "# @generated\n"
    )


def markdown_header(context: EmitContext, sources: list[str]) -> str:
    """The generated-file header as HTML comments (a ``#`` line is a heading in markdown)."""
    lines = header(context, sources).splitlines()
    # Only "-->" can end an HTML comment early; "--out" in the regenerate command stays readable.
    shown = [line.removeprefix("# ").replace("-->", "--&gt;") for line in lines]
    return "".join(f"<!-- {line} -->\n" for line in shown)
