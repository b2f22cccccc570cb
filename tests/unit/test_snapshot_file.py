"""The registry snapshot a package carries (generator/snapshot/snapshot_file.py).

Written as emit plans it (a head and one shard per client group), it reads back as the
registry it was written from; a package written before it was sharded (one file) reads
too; a missing or damaged shard is a problem located at the shard; one changed model
rewrites its shard alone.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.emit.emit import snapshot_files
from musicbind.generator.generate import generate_specs
from musicbind.generator.registry.model import Model, Registry
from musicbind.generator.settings import BuildSettings
from musicbind.generator.snapshot.serialize import registry_to_json
from musicbind.generator.snapshot.snapshot_file import SNAPSHOT_NAME, read_snapshot

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = BuildSettings(package="bindings")


def _committed() -> Registry:
    registry, problems = read_snapshot(ROOT / "generated")
    assert registry is not None, problems
    return registry


COMMITTED = _committed()


def _write_snapshot(folder: Path, registry: Registry) -> list[str]:
    """Write the snapshot of ``registry`` into ``folder`` as emit plans it; its paths."""
    keys = {model.ref: model.ref for model in registry.models}
    files = {file.path: file.render() for file in snapshot_files(registry, "", keys)}
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return sorted(files)


def _shards(folder: Path) -> list[str]:
    head = json.loads((folder / SNAPSHOT_NAME).read_text(encoding="utf-8"))
    shards: list[str] = head["model_files"]
    return shards


def test_a_sharded_snapshot_reads_back_as_the_registry(tmp_path: Path) -> None:
    paths = _write_snapshot(tmp_path, COMMITTED)
    assert paths == sorted([SNAPSHOT_NAME, *_shards(tmp_path)])
    assert read_snapshot(tmp_path) == (replace(COMMITTED, problems=()), [])


def test_the_one_file_snapshot_of_earlier_versions_still_reads(tmp_path: Path) -> None:
    (tmp_path / SNAPSHOT_NAME).write_text(registry_to_json(COMMITTED), encoding="utf-8")
    assert read_snapshot(tmp_path) == (COMMITTED, [])


def _missing(shard: Path) -> None:
    shard.unlink()


def _truncated(shard: Path) -> None:
    shard.write_text(shard.read_text(encoding="utf-8")[:-9], encoding="utf-8")


def _bad_field(shard: Path) -> None:
    text = shard.read_text(encoding="utf-8")
    shard.write_text(text.replace('"required": true', '"required": "yes"', 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_missing, "cannot read"),
        (_truncated, "not JSON"),
        (_bad_field, "expected true or false"),
    ],
)
def test_a_damaged_shard_is_a_problem_located_at_the_shard(
    tmp_path: Path, damage: Callable[[Path], None], message: str
) -> None:
    _write_snapshot(tmp_path, COMMITTED)
    shard = tmp_path / _shards(tmp_path)[-1]
    damage(shard)
    registry, problems = read_snapshot(tmp_path)
    assert registry is None and len(problems) == 1
    assert problems[0].location.path == str(shard) and message in problems[0].message


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["../outside.json"], "$.model_files[0]: expected a path _registry/"),
        ("_registry/x.json", "$.model_files: expected an array"),
    ],
)
def test_a_head_naming_shards_wrongly_is_a_problem_located_at_the_head(
    tmp_path: Path, files: object, message: str
) -> None:
    _write_snapshot(tmp_path, COMMITTED)
    head = json.loads((tmp_path / SNAPSHOT_NAME).read_text(encoding="utf-8"))
    (tmp_path / SNAPSHOT_NAME).write_text(json.dumps({**head, "model_files": files}))
    registry, problems = read_snapshot(tmp_path)
    assert registry is None and problems[0].location.path == str(tmp_path / SNAPSHOT_NAME)
    assert message in problems[0].message


def test_a_model_in_two_shards_is_a_problem(tmp_path: Path) -> None:
    _write_snapshot(tmp_path, COMMITTED)
    first, *others = _shards(tmp_path)
    text = (tmp_path / first).read_text(encoding="utf-8")
    (tmp_path / others[0]).write_text(text, encoding="utf-8")
    registry, problems = read_snapshot(tmp_path)
    assert registry is None and "is in another shard too" in problems[0].message


_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)


def _renamed(index: int, provider: str, name: str, title: str) -> Model:
    """A committed model under another name and provider."""
    return replace(
        COMMITTED.models[index % len(COMMITTED.models)],
        ref=f"{provider}:{name}",
        provider=provider,
        module_name=name,
        title=title,
    )


def _registry(models: list[Model]) -> Registry:
    used = {model.provider for model in models}
    return Registry(
        providers=tuple(p for p in COMMITTED.providers if p.name in used),
        models=tuple(sorted(models, key=lambda model: model.ref)),
        problems=(),
    )


@st.composite
def _registries(draw: st.DrawFn) -> Registry:
    """Registries of up to 300 models of some of the committed providers, any titles."""
    providers = draw(
        st.lists(st.sampled_from(COMMITTED.providers), min_size=1, unique_by=lambda p: p.name)
    )
    count = draw(st.integers(1, 300))
    names = draw(st.lists(_NAMES, min_size=count, max_size=count, unique=True))
    return _registry(
        [
            _renamed(i, draw(st.sampled_from(providers)).name, name, draw(st.text(max_size=8)))
            for i, name in enumerate(names)
        ]
    )


@settings(max_examples=20)
@given(registry=_registries())
def test_any_sharded_snapshot_reads_back_as_its_registry(registry: Registry) -> None:
    with tempfile.TemporaryDirectory(prefix="musicbind-snapshot-") as folder:
        _write_snapshot(Path(folder), registry)
        assert read_snapshot(Path(folder)) == (registry, [])


def test_a_large_provider_has_several_shards_of_bounded_size(tmp_path: Path) -> None:
    registry = _registry([_renamed(i, "fal", f"model_{i}", "") for i in range(600)])
    _write_snapshot(tmp_path, registry)
    sizes = [
        len(json.loads((tmp_path / s).read_text("utf-8"))["models"]) for s in _shards(tmp_path)
    ]
    assert len(sizes) > 2 and sum(sizes) == 600 and max(sizes) < 250
    assert read_snapshot(tmp_path) == (registry, [])


def test_one_changed_model_rewrites_its_shard_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path / "cache"))
    specs, out = tmp_path / "specs", tmp_path / "out"
    shutil.copytree(ROOT / "specs", specs)
    assert not generate_specs(specs, out, SETTINGS).errors
    shards = _shards(out)
    assert len(shards) > 1
    page = specs / "fal" / "sonilo-v1.1-video-to-music.openapi.json"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace('"minimum":1,"maximum":600', '"minimum":1,"maximum":300'))
    outcome = generate_specs(specs, out, SETTINGS)
    assert not outcome.errors and outcome.report is not None
    snapshot = {SNAPSHOT_NAME, *shards}
    assert snapshot & set(outcome.report.written) == {"_registry/fal/models_000.json"}
    registry, problems = read_snapshot(out)
    assert registry is not None, problems
    model = next(m for m in registry.models if m.ref == "fal:sonilo/v1.1/video-to-music")
    assert next(f for f in model.inputs if f.wire_name == "duration").maximum == 300
