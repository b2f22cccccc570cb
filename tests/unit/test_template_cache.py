"""The templates' compiled code is cached in the user's cache folder: a damaged or
unwritable cache costs the compilation, never a run."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from musicbind.generator.emit import environment as emit_environment

TEMPLATE = "client_methods_package.py.j2"


def _render(cache: jinja2.BytecodeCache | None) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(emit_environment.TEMPLATES),
        bytecode_cache=cache,
        autoescape=False,
    )
    env.filters.update(py=repr, docstring=repr, comment=str)
    provider = {"display_name": "Acme"}
    return env.get_template(TEMPLATE).render(header="# head", provider=provider)


def test_a_damaged_or_unwritable_template_cache_only_costs_the_compilation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path / "cache"))
    expected = _render(None)
    assert _render(emit_environment._CompiledTemplates()) == expected
    written = list((tmp_path / "cache" / "templates").iterdir())
    assert written  # the compiled template was kept
    for file in written:
        file.write_bytes(b"damaged")
    assert _render(emit_environment._CompiledTemplates()) == expected
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(blocked))
    assert _render(emit_environment._CompiledTemplates()) == expected
