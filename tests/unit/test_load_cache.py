"""The load cache: loaded documents kept between runs, in shards rewritten only when changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from musicbind.generator.load.cache import LoadCache, pickled
from musicbind.generator.load.records import (
    DocumentKind,
    Location,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecType,
    TypeKind,
)


@pytest.fixture(autouse=True)
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MUSICBIND_CACHE_DIR", str(folder))
    return folder


def document(index: int, sha: str = "a") -> SpecDocument:
    return SpecDocument(f"fal/model-{index:04d}.json", DocumentKind.OPENAPI, sha * 64)


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Each shard file's inode and modification time: what a rewrite changes."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*.pickle")}


def test_a_saved_document_is_found_by_the_next_run_and_only_with_its_bytes(
    tmp_path: Path,
) -> None:
    first = LoadCache(tmp_path, "gen-1")
    first.put(document(1))
    first.save()
    again = LoadCache(tmp_path, "gen-1")
    assert again.get("fal/model-0001.json", "a" * 64) == document(1)
    assert again.get("fal/model-0001.json", "b" * 64) is None  # other bytes: reload
    assert LoadCache(tmp_path, "gen-2").get("fal/model-0001.json", "a" * 64) is None


def test_one_changed_document_rewrites_only_its_shard(tmp_path: Path, cache_folder: Path) -> None:
    cold = LoadCache(tmp_path, "gen")
    for index in range(400):
        cold.put(document(index))
    cold.save()
    before = stamps(cache_folder)
    assert len(before) == 16  # spread over every shard file

    warm = LoadCache(tmp_path, "gen")
    for index in range(400):
        if index == 7:
            assert warm.get(document(7).path, "a" * 64) is not None
            warm.put(document(7, sha="b"))  # its bytes changed: loaded again
        else:
            assert warm.get(document(index).path, "a" * 64) == document(index)
    warm.save()
    after = stamps(cache_folder)
    assert after.keys() == before.keys()
    assert len([name for name in after if after[name] != before[name]]) == 1
    assert LoadCache(tmp_path, "gen").get(document(7).path, "b" * 64) == document(7, sha="b")


def test_a_run_that_changes_nothing_writes_nothing(tmp_path: Path, cache_folder: Path) -> None:
    cold = LoadCache(tmp_path, "gen")
    for index in range(50):
        cold.put(document(index))
    cold.save()
    before = stamps(cache_folder)
    warm = LoadCache(tmp_path, "gen")
    for index in range(50):
        warm.get(document(index).path, "a" * 64)
    warm.save()
    assert stamps(cache_folder) == before


def test_a_damaged_shard_only_costs_a_reload(tmp_path: Path, cache_folder: Path) -> None:
    cache = LoadCache(tmp_path, "gen")
    cache.put(document(1))
    cache.save()
    for shard in cache_folder.rglob("*.pickle"):
        shard.write_bytes(b"not a pickle")
    assert LoadCache(tmp_path, "gen").get(document(1).path, "a" * 64) is None


def test_a_summary_names_the_models_and_the_whole_document_stays_cached(tmp_path: Path) -> None:
    param = SpecParam("prompt", SpecType(TypeKind.STRING), True, Location("fal/a.json", 3))
    model = SpecModel("fal", "acme/song", Location("fal/a.json", 1), inputs=(param,))
    whole = SpecDocument("fal/a.json", DocumentKind.OPENAPI, "c" * 64, "fal", (model,))
    cold = LoadCache(tmp_path, "gen", summaries=True)
    cold.add_pickled(whole.path, whole.sha256, pickled(whole))  # loaded in a worker process
    assert cold.get(whole.path, whole.sha256) == whole  # read whole: it is at hand
    assert not cold.summarised(whole.path, whole.sha256)
    cold.save()
    for _ in range(2):  # a run that asks only for summaries keeps the whole documents
        warm = LoadCache(tmp_path, "gen", summaries=True)
        found = warm.get(whole.path, whole.sha256)
        assert found is not None and found.models[0].inputs is None
        assert (found.models[0].provider, found.models[0].model_id) == ("fal", "acme/song")
        assert warm.summarised(whole.path, whole.sha256)
        warm.save()
    assert LoadCache(tmp_path, "gen", summaries=True).whole(whole.path, whole.sha256) == whole
    assert LoadCache(tmp_path, "gen").get(whole.path, whole.sha256) == whole
