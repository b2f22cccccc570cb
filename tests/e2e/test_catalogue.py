"""The catalogue: every bound model's documents come from its provider, and every model runs.

The bound models are read from the generated registry (what users import); their documents
from specs/manifest.yaml. ``musicbind demo --all`` runs as a user runs it, in a subprocess,
against the emulator with short job times.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from musicbind.generator.registry.model import Model
from musicbind.generator.snapshot.snapshot_file import read_snapshot

ROOT = Path(__file__).resolve().parents[2]
MUSICBIND = [sys.executable, "-P", "-m", "musicbind"]
PROVIDERS = ("scenario", "fal", "aigateway")
# Where each provider publishes its documents (docs, model pages, API schemas).
DOCUMENT_HOSTS = {
    "scenario": {"docs.scenario.com", "app.scenario.com", "api.cloud.scenario.com"},
    "fal": {"fal.ai"},
    "aigateway": {"aigateway.sh", "api.aigateway.sh"},
}
MIN_MODELS = 40


def _registry_models() -> tuple[Model, ...]:
    registry, problems = read_snapshot(ROOT / "generated")
    assert registry is not None, problems
    return registry.models


def _manifest() -> dict[str, dict[str, object]]:
    manifest = yaml.safe_load((ROOT / "specs" / "manifest.yaml").read_text(encoding="utf-8"))
    return {f"specs/{entry['path']}": entry for entry in manifest["documents"]}


def test_the_catalogue_binds_at_least_40_models_across_the_three_providers() -> None:
    per_provider = Counter(model.provider for model in _registry_models())
    assert sum(per_provider.values()) >= MIN_MODELS, per_provider
    assert set(per_provider) == set(PROVIDERS), per_provider


@pytest.mark.parametrize("model", _registry_models(), ids=lambda model: model.ref)
def test_every_model_document_has_a_provider_origin_and_a_retrieved_date(model: Model) -> None:
    manifest = _manifest()
    assert model.sources, f"{model.ref}: no source document"
    for source in model.sources:
        entry = manifest.get(source)
        assert entry is not None, f"{source} (of {model.ref}) is not in specs/manifest.yaml"
        assert entry["provider"] == model.provider, source
        origin = urlsplit(str(entry.get("origin", "")))
        assert origin.scheme in {"http", "https"}, f"{source}: origin {entry.get('origin')!r}"
        assert origin.hostname in DOCUMENT_HOSTS[model.provider], (
            f"{source}: {origin.hostname} is not where {model.provider} publishes documents"
        )
        retrieved = entry.get("retrieved")
        day = retrieved if isinstance(retrieved, dt.date) else dt.date.fromisoformat(str(retrieved))
        assert dt.date(2024, 1, 1) <= day <= dt.date.today(), f"{source}: retrieved {retrieved}"


def test_demo_all_runs_every_catalogue_model_against_the_emulator(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [*MUSICBIND, "demo", "--all", "--timing", "0,0.02", "--json", "--out", str(out)],
        cwd=tmp_path,  # not a musicbind project: the bundled bindings run as installed
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    refs = {model.ref for model in _registry_models()}
    ran = [system["model"] for system in result["systems"]]
    assert sorted(ran) == sorted(refs)  # each model once, none left out
    failed = {s["model"]: s["problem"] for s in result["systems"] if not s["ok"]}
    assert not failed
    assert result["ok"] and result["duplicate_charges"] == 0
    for system in result["systems"]:
        assert system["files"], f"{system['model']}: no file downloaded"
        assert all(Path(file).is_file() for file in system["files"])
