"""The command line's human output at 80 columns with no TTY, as snapshots a person reviews.

Each test runs ``musicbind`` in a real subprocess (COLUMNS=80, output piped as in a CI
log) and compares a transcript with ``__snapshots__/test_cli_at_80_columns/<test>.txt``.
A readability regression (a wrapped row, a cut id, an unexplained unit) shows as a diff
of those files; update them with ``pytest tests/e2e/test_cli_at_80_columns.py
--snapshot-update`` and look at the result. ``demo`` runs once for the module (its own
pace, about 20 s); the ``--wide``/``--json`` run uses ``--timing`` to be quick. ``jobs``
lists three runs against a quick emulator, ``check`` a copy of specs whose maximum was
lowered, ``run`` a bad payload refused before anything is sent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mutagen
import pytest
from syrupy.assertion import SnapshotAssertion
from terminal_snapshots import (
    ROOT,
    UPDATE,
    TranscriptSnapshot,
    mask_ids,
    run_at_80_columns,
    too_wide,
    transcript,
)

FAST = "0.05,0.1"  # --timing for the runs that only look at the summary's form


@pytest.fixture
def snapshot_text(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The snapshot fixture storing plain text files."""
    return snapshot.use_extension(TranscriptSnapshot)


# -- demo --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRun:
    args: tuple[str, ...]
    cwd: Path
    done: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The README's main job as a person runs it (its own timing), once for the module."""
    cwd = tmp_path_factory.mktemp("demo")
    args = ("demo", "--out", "demo-files")
    return DemoRun(args, cwd, run_at_80_columns(*args, cwd=cwd, timeout=180))


def _demo_volatile(cwd: Path) -> list[tuple[str, str]]:
    return [
        (re.escape(str(cwd)), "<tmp>"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
        (r"\b\d+:\d\d:\d\d\b", "0:00:00"),  # elapsed time of each progress bar
        (r"took \d+\.\d s", "took <seconds> s"),
    ]


def _normalise_demo(cwd: Path) -> Callable[[str], str]:
    def normalise(text: str) -> str:
        for pattern, replacement in _demo_volatile(cwd):
            text = re.sub(pattern, replacement, text)
        return mask_ids(text)

    return normalise


@pytest.mark.slow
def test_demo_runs_every_system_to_the_end(demo_run: DemoRun) -> None:
    done = demo_run.done
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count("SUCCEEDED") >= 5
    assert "5 of 5 systems ok; duplicate charges in the emulator ledger: 0" in done.stdout
    files = sorted((demo_run.cwd / "demo-files").rglob("*.wav"))
    assert len(files) >= 7
    assert all(mutagen.File(f).info.length > 0 for f in files)


@pytest.mark.slow
def test_demo_summary_at_80_columns(demo_run: DemoRun, snapshot_text: SnapshotAssertion) -> None:
    done = demo_run.done
    assert not too_wide(done.stdout), too_wide(done.stdout)
    assert "…" in done.stdout  # job ids are shortened, and the key says how to see them whole
    shown = transcript(demo_run.args, done, _normalise_demo(demo_run.cwd))
    assert shown == snapshot_text, f"update with: {UPDATE}"


def test_demo_wide_and_json_show_whole_ids(tmp_path: Path) -> None:
    done = run_at_80_columns(
        "demo", "--out", "files", "--timing", FAST, "--wide", "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(done.stdout)  # stdout holds the records only; the person's view is on stderr
    assert data["ok"] is True and data["duplicate_charges"] == 0
    assert data["out"] == str((tmp_path / "files").resolve())
    systems = data["systems"]
    assert [s["state"] for s in systems] == ["SUCCEEDED"] * 5
    scenario = systems[0]
    assert scenario["estimate"] == {"amount": "2", "unit": "creative units", "source": "dry run"}
    assert all(Path(f).is_file() and Path(f).is_absolute() for s in systems for f in s["files"])
    for system in systems:
        assert len(system["job_id"]) > 12
        assert system["job_id"] in done.stderr  # --wide: whole ids in the table
    assert "…" not in done.stderr
    assert "SUCCEEDED" in done.stderr.split("─")[-1]  # the state column of --wide


# -- validate ----------------------------------------------------------------------------

PAYLOADS = {
    "too_long.json": """\
{
  "model": "scenario:model_sonilo-v1-1-text-to-music",
  "input": {"prompt": "rain on a tin roof", "duration": 601}
}
""",
    "typos.yaml": """\
model: fal:sonilo/v1.1/video-to-music
input:
  video_url: https://example.com/clip.mp4
  num_sample: 2
  duration: "five"
""",
    "batch.jsonl": """\
{"model": "aigateway:sonauto/v2/text-to-music", "input": {"prompt": "calm", "duration": 20}}
{"model": "aigateway:sonauto/v3/text-to-music", "input": {"prompt": "calm"}}
""",
    "broken.json": '{"model": "aigateway:sonauto/v2/text-to-music", "input": {"prompt": "x",}\n',
    "missing_video.json": """\
{"model": "scenario:model_sonilo-v1-1-video-to-music",
 "input": {"video": "clips/intro.mp4", "prompt": "strings", "seed": NaN}}
""",
}


def test_validate_text_at_80_columns(tmp_path: Path, snapshot_text: SnapshotAssertion) -> None:
    """A range, an unknown field with a did-you-mean, a wrong type, an unknown model, a
    syntax error, a missing local file and a NaN: one located line each, then the count."""
    folder = tmp_path / "payloads"
    folder.mkdir()
    for name, text in PAYLOADS.items():
        (folder / name).write_text(text, encoding="utf-8")
    args = ("validate", "payloads")
    done = run_at_80_columns(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert transcript(args, done) == snapshot_text, f"update with: {UPDATE}"


# -- diff --------------------------------------------------------------------------------

FAL_OVERLAY = """\
providers:
  fal:
    display_name: fal
    base_url: https://queue.fal.run
    auth: key
    statuses:
      IN_QUEUE: QUEUED
      IN_PROGRESS: RUNNING
      COMPLETED: SUCCEEDED
"""
MANIFEST = """\
documents:
  - path: fal/tts.json
    provider: fal
    kind: openapi
    origin: https://example.com/tts.json
    retrieved: 2026-11-20
"""


def _tts_specs(folder: Path) -> Path:
    """A specs folder holding the golden fal OpenAPI case alone."""
    specs = folder / "specs"
    (specs / "fal").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "golden" / "cases" / "fal_openapi" / "tts.json", specs / "fal")
    (specs / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    (specs / "overlay.yaml").write_text(FAL_OVERLAY, encoding="utf-8")
    return specs


def _edit_tts(specs: Path) -> None:
    """seed renamed random_seed, text narrowed, a voice added, the default voice changed."""
    path = specs / "fal" / "tts.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = data["components"]["schemas"]["ChimeTtsInput"]
    fields = schema["properties"]
    fields["random_seed"] = fields.pop("seed")
    order = schema["x-fal-order-properties"]
    order[order.index("seed")] = "random_seed"
    fields["text"]["maxLength"] = 300
    fields["voice"]["enum"].append("dee")
    fields["voice"]["default"] = "bo"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


@pytest.fixture
def tts_versions(tmp_path: Path) -> Path:
    """``old/specs`` and ``new/specs`` under the returned folder."""
    _tts_specs(tmp_path / "old")
    _edit_tts(_tts_specs(tmp_path / "new"))
    return tmp_path


def test_diff_text_at_80_columns(tts_versions: Path, snapshot_text: SnapshotAssertion) -> None:
    args = ("diff", "old/specs", "new/specs")
    done = run_at_80_columns(*args, cwd=tts_versions)
    assert done.returncode == 1, done.stderr  # something breaks
    assert transcript(args, done) == snapshot_text, f"update with: {UPDATE}"


def test_diff_hints_a_rename_in_every_format(tts_versions: Path) -> None:
    base = ("diff", "old/specs", "new/specs", "--format")
    markdown = run_at_80_columns(*base, "markdown", cwd=tts_versions)
    assert "seed: field removed; possibly renamed to random\\_seed |" in markdown.stdout
    assert "random\\_seed: new optional field; possibly renamed from seed |" in markdown.stdout
    data = json.loads(run_at_80_columns(*base, "json", cwd=tts_versions).stdout)
    hints = {c["subject"]: c["hint"] for c in data["changes"] if c["hint"]}
    assert hints == {
        "seed": "possibly renamed to random_seed",
        "random_seed": "possibly renamed from seed",
    }


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _set_category(specs: Path, category: object) -> None:
    """The fal metadata's category: a number is a warning (it should be text), nothing more."""
    path = specs / "fal" / "tts.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["info"]["x-fal-metadata"]["category"] = category
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _warnings(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if ": warning: " in line]


def test_diff_rev_prints_each_warning_once(tmp_path: Path) -> None:
    """A warning both versions have is printed once; one only the older version has is
    printed once too, its file named at that revision (``HEAD:specs/...``)."""
    specs = _tts_specs(tmp_path)
    _set_category(specs, 5)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "one")
    both = run_at_80_columns("diff", "--rev", "HEAD", cwd=tmp_path)
    assert both.returncode == 0, both.stderr
    assert [w.split("#")[0] for w in _warnings(both)] == ["specs/fal/tts.json"], both.stderr
    _set_category(specs, "text-to-speech")
    _edit_tts(specs)
    older = run_at_80_columns("diff", "--rev", "HEAD", cwd=tmp_path)
    assert [w.split("#")[0] for w in _warnings(older)] == ["HEAD:specs/fal/tts.json"], older.stderr
    assert "possibly renamed from seed" in older.stdout


# -- check -------------------------------------------------------------------------------


def test_check_summary_at_80_columns(tmp_path: Path, snapshot_text: SnapshotAssertion) -> None:
    """Bindings generated, then a maximum lowered in the specs: the semantic summary first."""
    specs = _tts_specs(tmp_path)
    made = run_at_80_columns("generate", "--specs", "specs", "--out", "bindings", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    path = specs / "fal" / "tts.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["components"]["schemas"]["ChimeTtsInput"]["properties"]["text"]["maxLength"] = 300
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    args = ("check", "--specs", "specs", "--out", "bindings")
    done = run_at_80_columns(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "text: max length 500 -> 300" in done.stdout
    assert transcript(args, done) == snapshot_text, f"update with: {UPDATE}"


# -- run and jobs ------------------------------------------------------------------------

BAD_PAYLOAD = """\
{
  "video_url": "https://example.com/clip.mp4",
  "promt": "calm piano",
  "duration": 900,
  "num_samples": "two"
}
"""


def test_run_bad_payload_at_80_columns(tmp_path: Path, snapshot_text: SnapshotAssertion) -> None:
    """The problems as ``validate`` prints them (location, rule, spec, did-you-mean)."""
    (tmp_path / "bad.json").write_text(BAD_PAYLOAD, encoding="utf-8")
    args = ("run", "fal:sonilo/v1.1/video-to-music", "bad.json", "--journal", "journal.sqlite3")
    done = run_at_80_columns(*args, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert not (tmp_path / "journal.sqlite3").exists()  # nothing was submitted
    assert transcript(args, done) == snapshot_text, f"update with: {UPDATE}"


def _normalise_jobs(text: str) -> str:
    """Ages (seconds in a fresh journal) as ``5s``, the entry ids' hex digits as ``x``."""
    text = re.sub(
        r"^( ?)\d\d?s(?=  )", lambda m: " 5s" if len(m.group(0)) == 3 else "5s", text, flags=re.M
    )
    return re.sub(r"(?m)^(\s*\S+  )[0-9a-f]{8}(?=  )", r"\1xxxxxxxx", text)


def test_jobs_at_80_columns(tmp_path: Path, snapshot_text: SnapshotAssertion) -> None:
    """Three runs against the emulator (one a provider), then ``jobs`` as a person reads it."""
    from musicbind.emulator import server
    from musicbind.emulator.jobs import Timing

    timing = Timing(0.05, 0.1)
    journal = tmp_path / "journal.sqlite3"
    with server.EmulatorServer(seed=3, timing=timing, journal=journal) as emu:
        env = emu.env()
        assert env["MUSICBIND_JOURNAL"] == str(journal)
        runs = {
            "scenario:model_sonilo-v1-1-text-to-music": {"prompt": "warm piano", "duration": 8},
            "fal:sonilo/v1.1/video-to-music": {"video_url": emu.media_url(), "duration": 5.0},
            "aigateway:sonauto/v2/text-to-music": {"prompt": "calm", "duration": 20},
        }
        for number, (ref, payload) in enumerate(runs.items()):
            name = f"payload{number}.json"
            (tmp_path / name).write_text(json.dumps(payload), encoding="utf-8")
            done = run_at_80_columns("run", ref, name, "--out", "out", cwd=tmp_path, env=env)
            assert done.returncode == 0, done.stderr
    args = ("jobs",)
    done = run_at_80_columns(*args, cwd=tmp_path, env={"MUSICBIND_JOURNAL": str(journal)})
    assert done.returncode == 0, done.stderr
    assert not too_wide(done.stdout), too_wide(done.stdout)
    for ref in runs:
        assert ref in done.stdout  # whole, never cut
    assert "3 jobs in journal.sqlite3" in done.stdout
    assert transcript(args, done, _normalise_jobs) == snapshot_text, f"update with: {UPDATE}"
