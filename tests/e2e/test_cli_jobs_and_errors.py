"""Issue 19 as a person meets it: one error style for a bad payload in ``run`` and in
Python, ``jobs`` filters and views, and the emulator's jobs kept out of the real journal.

Real subprocesses (``python -P -m musicbind``, COLUMNS=80, no TTY) against the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from musicbind.emulator import server as server_module
from musicbind.emulator.jobs import Timing
from musicbind.jobs_table import parse_since

FAL = "fal:sonilo/v1.1/video-to-music"
GATEWAY = "aigateway:sonauto/v2/text-to-music"
BAD = (
    '{\n  "video_url": "https://example.com/clip.mp4",\n  "promt": "calm",\n  "duration": 900\n}\n'
)


def musicbind(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={"COLUMNS": "80", "PATH": "/usr/bin:/bin", "HOME": str(cwd), **(env or {})},
    )


# -- one error style ---------------------------------------------------------------------


def test_run_shows_a_bad_payload_as_validate_does(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(BAD, encoding="utf-8")
    ran = musicbind("run", FAL, "bad.json", "--journal", "j.sqlite3", cwd=tmp_path)
    checked = musicbind("validate", "--model", FAL, "bad.json", cwd=tmp_path)
    assert ran.returncode == 1 and checked.returncode == 1
    problems = [line for line in ran.stderr.splitlines() if ": error: " in line]
    assert problems == checked.stdout.splitlines()  # the same lines, in the same order
    assert problems[0].startswith('bad.json:3:3: error: $.promt: unknown parameter "promt"; ')
    assert 'did you mean "prompt"?' in problems[0]
    assert "rule: duration <= 600 (specs/fal/" in problems[1]
    assert "2 problems in bad.json for fal:sonilo/v1.1/video-to-music: nothing was submitted" in (
        ran.stderr
    )
    assert "validation error" not in ran.stderr and "pydantic" not in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not (tmp_path / "j.sqlite3").exists()  # validated before the journal is opened


def test_run_from_stdin_names_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "run", FAL, "-", "--journal", "j.sqlite3"],
        input=BAD,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"COLUMNS": "80", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 1
    assert "<stdin>:4:15: error: $.duration: 900 is above the maximum 600" in done.stderr


def test_run_keeps_provider_text_inert(tmp_path: Path) -> None:
    """An unknown key carrying rich markup and an escape sequence is shown as data."""
    payload = {"video_url": "https://example.com/v.mp4", "[red]x[/red]\x1b[2J": 1}
    (tmp_path / "p.json").write_text(json.dumps(payload), encoding="utf-8")
    done = musicbind("run", FAL, "p.json", "--journal", "j.sqlite3", cwd=tmp_path)
    assert done.returncode == 1
    assert "\x1b" not in done.stderr and "[red]x[/red]" in done.stderr


def test_the_python_helper_renders_a_validation_error_the_same_way() -> None:
    from musicbind.generated import get_binding
    from musicbind.validation.payload_errors import explain_validation_error

    data = json.loads(BAD)
    binding = get_binding(FAL)
    with pytest.raises(ValidationError) as caught:
        binding.input_model.model_validate(data)
    by_model = explain_validation_error(caught.value, data)  # the binding found from the model
    by_ref = explain_validation_error(caught.value, data, FAL, file="bad.json", text=BAD)
    assert '<input>: error: $.promt: unknown parameter "promt"' in by_model  # no text: no line
    assert 'did you mean "prompt"?' in by_model and "rule: duration <= 600 (specs/" in by_model
    assert by_ref.splitlines()[1].startswith("bad.json:4:15: error: $.duration: 900 is above")


# -- jobs --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two runs against the emulator (fal and aigateway), journalled in the emulator's own file."""
    folder = tmp_path_factory.mktemp("jobs")
    path = folder / "emulator.sqlite3"
    with server_module.EmulatorServer(seed=4, timing=Timing(0.05, 0.1), journal=path) as emu:
        env = emu.env()
        payloads = {
            FAL: {"video_url": emu.media_url(), "duration": 5.0},
            GATEWAY: {"prompt": "calm", "duration": 20},
        }
        for number, (ref, payload) in enumerate(payloads.items()):
            (folder / f"p{number}.json").write_text(json.dumps(payload), encoding="utf-8")
            done = musicbind("run", ref, f"p{number}.json", "--out", "out", cwd=folder, env=env)
            assert done.returncode == 0, done.stderr
    assert not (folder / ".local").exists()  # HOME's default journal untouched
    yield path


def jobs(journal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return musicbind("jobs", "--journal", str(journal), *args, cwd=journal.parent)


def test_jobs_fits_80_columns_with_whole_refs(journal: Path) -> None:
    done = jobs(journal)
    assert done.returncode == 0, done.stderr
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
    assert FAL in done.stdout and GATEWAY in done.stdout and "…" not in done.stdout
    assert "2 jobs in emulator.sqlite3" in done.stdout


def test_jobs_wide_and_json_show_whole_ids(journal: Path) -> None:
    entries = json.loads(jobs(journal, "--json").stdout)
    assert [e["ref"] for e in entries] == [FAL, GATEWAY]
    assert {"intent_id", "job_id", "payload_json", "files", "created_at"} <= set(entries[0])
    wide = jobs(journal, "--wide").stdout
    short = jobs(journal).stdout
    for entry in entries:
        assert entry["intent_id"] in wide and entry["job_id"] in wide
        assert entry["intent_id"] not in short and entry["intent_id"][:8] in short


def test_a_short_id_resumes(journal: Path, tmp_path: Path) -> None:
    """The id column is a prefix ``resume`` accepts (the emulator has stopped: a located
    error about the connection, not "no journal entry")."""
    entry = json.loads(jobs(journal, "--json").stdout)[0]
    done = musicbind(
        "resume", entry["intent_id"][:8], "--journal", str(journal), "--timeout", "2", cwd=tmp_path
    )
    assert "no journal entry" not in done.stderr
    assert f"resuming {FAL}: job {entry['job_id']}" in " ".join(done.stderr.split())


def test_jobs_filters_by_model_and_age(journal: Path) -> None:
    def refs(*args: str) -> list[str]:
        done = jobs(journal, "--json", *args)
        assert done.returncode == 0, done.stderr
        return [e["ref"] for e in json.loads(done.stdout)]

    assert refs("--model", FAL) == [FAL]
    assert refs("--model", "sonauto/v2/text-to-music") == [GATEWAY]  # the model id alone
    assert refs("--model", "aigateway:*") == [GATEWAY]
    assert refs("--model", FAL, "--model", GATEWAY) == [FAL, GATEWAY]
    assert refs("--since", "1h") == [FAL, GATEWAY]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert refs("--since", tomorrow) == []
    assert refs("--since", "2020-01-01T00:00:00+00:00", "--provider", "fal") == [FAL]
    bad = jobs(journal, "--since", "yesterday")
    assert bad.returncode == 2 and "neither an age" in bad.stderr


def test_parse_since() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("1d12h", now) == now - timedelta(days=1, hours=12)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2026-12-01T00:00:00+00:00", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_since("2026-12-01", now).tzinfo is not None
    for text in ("", "h", "2x", "soon"):
        with pytest.raises(ValueError):
            parse_since(text, now)


# -- the emulator's own journal ----------------------------------------------------------


def test_emulator_env_names_a_journal_of_its_own(tmp_path: Path) -> None:
    default = Path.home() / ".local" / "share" / "musicbind" / "journal.sqlite3"
    with server_module.EmulatorServer() as emu:
        journal = Path(emu.env()["MUSICBIND_JOURNAL"])
        assert journal != default and journal.parent.is_dir()
        assert emu.journal_path == journal
    assert not journal.parent.exists()  # its jobs ended with it
    chosen = tmp_path / "mine.sqlite3"
    with server_module.EmulatorServer(journal=chosen) as emu:
        assert emu.env()["MUSICBIND_JOURNAL"] == str(chosen)


def test_emulate_prints_the_journal_to_export(tmp_path: Path) -> None:
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-P", "-m", "musicbind", "emulate", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("export AIGATEWAY_API_KEY"):
                break
        process.terminate()
        process.wait(10)
    exports = dict(
        line[len("export ") :].strip().split("=", 1) for line in lines if line.startswith("export")
    )
    journal = exports["MUSICBIND_JOURNAL"]
    assert "musicbind-emulator-" in journal and not journal.startswith(str(tmp_path / ".local"))
    assert any(line.strip().startswith("journal") and journal in line for line in lines)
    assert not Path(journal).parent.exists()  # removed with the emulator


def test_the_plugin_fixture_uses_its_own_journal(pytester_env: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "musicbind.emulator.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "test_journal.py",
        ],
        cwd=pytester_env,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(pytester_env), "MUSICBIND_JOURNAL": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture
def pytester_env(tmp_path: Path) -> Path:
    (tmp_path / "test_journal.py").write_text(
        "import os\n"
        "from pathlib import Path\n\n"
        "def test_journal(musicbind_emulator, tmp_path):\n"
        "    journal = Path(os.environ['MUSICBIND_JOURNAL'])\n"
        "    assert journal.parent == tmp_path\n"
        "    assert musicbind_emulator.env()['MUSICBIND_JOURNAL'] == str(journal)\n",
        encoding="utf-8",
    )
    return tmp_path
