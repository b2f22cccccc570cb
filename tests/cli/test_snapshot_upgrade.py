"""A package's registry snapshot as the commands read it: sharded, or one file as musicbind
wrote it before (a user who upgrades runs ``diff`` and ``check`` on the committed package)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli_support import ROOT, assert_no_traceback, run_cli

from musicbind.generator.snapshot.serialize import registry_to_json
from musicbind.generator.snapshot.snapshot_file import SHARD_FOLDER, SNAPSHOT_NAME, read_snapshot


def _generated(tmp_path: Path) -> tuple[Path, Path]:
    specs, package = tmp_path / "specs", tmp_path / "bindings"
    shutil.copytree(ROOT / "specs", specs)
    done = run_cli("generate", "--specs", str(specs), "--out", str(package), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return specs, package


def test_an_old_one_file_snapshot_is_read_and_replaced_by_shards(tmp_path: Path) -> None:
    specs, package = _generated(tmp_path)
    registry, problems = read_snapshot(package)
    assert registry is not None, problems
    shutil.rmtree(package / SHARD_FOLDER)  # as the previous version wrote it
    (package / SNAPSHOT_NAME).write_text(registry_to_json(registry), encoding="utf-8")
    same = run_cli("diff", str(package), str(specs), cwd=tmp_path)
    assert same.returncode == 0 and same.stdout == "", same.stderr
    stale = run_cli("check", "--specs", str(specs), "--out", str(package), cwd=tmp_path)
    assert_no_traceback(stale)
    assert stale.returncode == 1 and SNAPSHOT_NAME in stale.stdout + stale.stderr
    again = run_cli("generate", "--specs", str(specs), "--out", str(package), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert read_snapshot(package) == (registry, [])
    assert list((package / SHARD_FOLDER).rglob("*.json"))


def test_a_missing_shard_is_named_not_a_traceback(tmp_path: Path) -> None:
    specs, package = _generated(tmp_path)
    shard = next((package / SHARD_FOLDER).rglob("*.json"))
    shard.unlink()
    done = run_cli("diff", str(package), str(specs), cwd=tmp_path)
    assert_no_traceback(done)
    assert done.returncode == 2 and str(shard) in done.stderr, done.stderr
