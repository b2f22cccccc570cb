"""Incremental generation equals a clean run, after any sequence of spec edits.

Hypothesis drives random sequences of edits to a copy of specs/ (documents changed,
added, removed; overlay and manifest edits; documents broken and fixed again). After
each step the in-process ``generate`` writes into one folder incrementally; when the
specs have no errors, that tree must be byte for byte what a clean run writes into an
empty folder, and ``check`` must pass without regenerating. When they have errors, every
model a broken document contributes to keeps its module byte for byte.

``MUSICBIND_HYPOTHESIS_SCALE`` (default 1) multiplies the number of sequences tried.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from musicbind.generator.generate import check_specs, generate_specs
from musicbind.generator.settings import BuildSettings
from musicbind.generator.snapshot.snapshot_file import read_snapshot

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = BuildSettings(package="bindings")
SCALE = max(1, int(os.environ.get("MUSICBIND_HYPOTHESIS_SCALE", "1")))

SCENARIO = "scenario/sonilo-parameters.md"
FAL_JSON = "fal/sonilo-v1.1-video-to-music.openapi.json"
FAL_PAGE = "fal/sonilo-v1.1-video-to-music.md"
EXTRA = "fal/acme-chime.openapi.json"

# Each edit sets one variable of the specs to one of its values; the first is the
# repository's own. "broken" values are documents with errors.
VARIABLES: dict[str, tuple[str, ...]] = {
    "scenario_max": ("600", "300", "broken"),
    "fal_max": ("600", "300", "broken"),
    "fal_page": ("as published", "edited"),
    "extra_fal_model": ("absent", "present"),
    "minimax_listed": ("yes", "no"),
    "gateway_page_listed": ("yes", "no"),
    "price": ("0.009", "0.012"),
    "display_name": ("AIgateway", "AI Gateway"),
    "manifest_order": ("as written", "reversed"),
    "retrieved": ("as written", "later"),
    "overlay": ("valid", "broken"),
}

edits = st.lists(
    st.sampled_from(sorted(VARIABLES)).flatmap(
        lambda name: st.tuples(st.just(name), st.sampled_from(VARIABLES[name]))
    ),
    min_size=1,
    max_size=5,
)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def write_specs(specs: Path, state: dict[str, str]) -> None:
    """Write the specs folder ``state`` describes (every file, from the repository's)."""
    shutil.rmtree(specs, ignore_errors=True)
    shutil.copytree(ROOT / "specs", specs)
    scenario = (specs / SCENARIO).read_text(encoding="utf-8")
    row = "| 1   | 600 |"
    scenario = scenario.replace(
        row,
        {"600": row, "300": "| 1   | 300 |", "broken": "| 5   | 3   |"}[state["scenario_max"]],
        1,
    )
    (specs / SCENARIO).write_text(scenario, encoding="utf-8")
    fal = (specs / FAL_JSON).read_text(encoding="utf-8")
    if state["fal_max"] == "300":
        fal = _replace(fal, '"minimum":1,"maximum":600', '"minimum":1,"maximum":300')
    elif state["fal_max"] == "broken":  # a stray comma
        fal = _replace(fal, '"required":["video_url"]}', '"required":["video_url"],}')
    (specs / FAL_JSON).write_text(fal, encoding="utf-8")
    if state["fal_page"] == "edited":
        page = (specs / FAL_PAGE).read_text(encoding="utf-8")
        page = _replace(page, "Number of separate music tracks", "How many music tracks")
        (specs / FAL_PAGE).write_text(page, encoding="utf-8")
    manifest = yaml.safe_load((specs / "manifest.yaml").read_text(encoding="utf-8"))
    documents = manifest["documents"]
    if state["extra_fal_model"] == "present":
        original = (ROOT / "specs" / FAL_JSON).read_text(encoding="utf-8")
        (specs / EXTRA).write_text(
            original.replace("sonilo/v1.1/video-to-music", "acme/v1/chime"), encoding="utf-8"
        )
        documents.append({**documents[3], "path": EXTRA})
    for variable, path in (
        ("minimax_listed", "scenario/minimax-music-01-parameters.md"),
        ("gateway_page_listed", "aigateway/sonauto-v2-text-to-music.md"),
    ):
        if state[variable] == "no":
            documents[:] = [d for d in documents if d["path"] != path]
    if state["manifest_order"] == "reversed":
        documents.reverse()
    if state["retrieved"] == "later":
        for document in documents:
            document["retrieved"] = "2027-01-01"
    (specs / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    overlay = (specs / "overlay.yaml").read_text(encoding="utf-8")
    overlay = overlay.replace('amount: "0.009"', f'amount: "{state["price"]}"')
    overlay = overlay.replace("display_name: AIgateway", f"display_name: {state['display_name']}")
    if state["overlay"] == "broken":
        overlay += "providers: [\n"
    (specs / "overlay.yaml").write_text(overlay, encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (no caches), by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def differing(one: dict[str, bytes], other: dict[str, bytes]) -> list[str]:
    """The paths whose bytes differ, or that only one tree has."""
    return sorted(p for p in one.keys() | other.keys() if one.get(p) != other.get(p))


def module_paths(out: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """ref -> (module path, source documents) of every model in the snapshot of ``out``."""
    registry, problems = read_snapshot(out)
    assert registry is not None, problems
    return {m.ref: (f"{m.provider}/{m.module_name}.py", m.sources) for m in registry.models}


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="musicbind-incremental-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's specs generated once, copied into every example."""
    root = tmp_path_factory.mktemp("start")
    write_specs(root / "specs", {name: values[0] for name, values in VARIABLES.items()})
    outcome = generate_specs(root / "specs", root / "out", SETTINGS)
    assert not outcome.errors, outcome.errors
    return root


@pytest.fixture(autouse=True)
def load_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@settings(
    max_examples=20 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=edits)
def test_incremental_runs_write_what_a_clean_run_writes(
    start: Path, steps: list[tuple[str, str]]
) -> None:
    state = {name: values[0] for name, values in VARIABLES.items()}
    with workspace() as root:
        shutil.copytree(start, root, dirs_exist_ok=True)
        specs, out, clean = root / "specs", root / "out", root / "clean"
        for name, value in steps:
            before, models = tree(out), module_paths(out)
            state[name] = value
            write_specs(specs, state)
            outcome = generate_specs(specs, out, SETTINGS)
            if outcome.errors:
                failed = {p.location.path for p in outcome.errors}
                kept = {k.ref for k in outcome.kept}
                held = {ref for ref, (_, sources) in models.items() if failed & set(sources)}
                assert held <= kept, steps
                if state["overlay"] == "broken":  # a shared input: every model keeps
                    assert kept == set(models), steps
                after = tree(out)
                for ref in kept:
                    assert after[models[ref][0]] == before[models[ref][0]], (ref, steps)
                assert not check_specs(specs, out, SETTINGS).up_to_date, steps
                continue
            shutil.rmtree(clean, ignore_errors=True)
            assert not generate_specs(specs, clean, SETTINGS).errors
            assert differing(tree(out), tree(clean)) == [], steps
            assert check_specs(specs, out, SETTINGS).up_to_date, steps
