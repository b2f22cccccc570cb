"""Local media end to end against the emulator: uploads, media length from the file, refusals.

Real subprocesses (``python -P -m musicbind``) and a real SIGKILL: a 12 s clip on disk goes
through fal's storage upload and Scenario's asset upload once per journal, even when the
process dies mid-wait and ``musicbind resume`` finishes the job; offset + duration past the
clip is refused with no ``media_duration`` given; values that cannot be sent are refused
before anything reaches the emulator.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from musicbind import generated
from musicbind.emulator import server as server_module
from musicbind.emulator.jobs import Timing
from musicbind.emulator.providers import fal as fal_emulator
from musicbind.runtime.client import Client
from musicbind.runtime.errors import FileInputError
from musicbind.runtime.journal import Journal
from musicbind.runtime.media_uploads import UploadRecords

DEMO_VIDEO = Path(__file__).resolve().parents[2] / "emulator" / "media" / "demo.mp4"  # 12.0 s
REFS = {
    "fal": "fal:sonilo/v1.1/video-to-music",
    "scenario": "scenario:model_sonilo-v1-1-video-to-music",
}
# The media field, the offset field and the length field, by wire name.
FIELDS = {
    "fal": ("video_url", "start_offset", "duration"),
    "scenario": ("video", "startOffset", "duration"),
}


def musicbind(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=_env(cwd, env),
    )


def _env(cwd: Path, extra: dict[str, str]) -> dict[str, str]:
    return {"COLUMNS": "80", "PATH": "/usr/bin:/bin", "HOME": str(cwd), **extra}


def uploads(server: Any, provider: str) -> int:
    """How many files the emulator received through ``provider``'s upload."""
    return sum(1 for path in server.emulator.media if path.startswith(f"files/{provider}/"))


def payload(
    provider: str, clip: str, offset: float | None = None, length: float = 5.0
) -> dict[str, Any]:
    media, start, duration = FIELDS[provider]
    data: dict[str, Any] = {media: clip, duration: length}
    if offset is not None:
        data[start] = offset
    return data


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    # Jobs run 1.5 s: long enough to kill a waiting process, short enough to resume quickly.
    with server_module.EmulatorServer(seed=18, timing=Timing(queue_s=0.05, run_s=1.5)) as running:
        yield running


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copy(DEMO_VIDEO, tmp_path / "clip.mp4")
    return tmp_path


def _accepted_job(journal: Path, deadline: float) -> str:
    """Wait until the journal holds an accepted job; its id."""
    while time.monotonic() < deadline:
        if journal.exists():
            try:
                with sqlite3.connect(journal, timeout=5) as db:
                    row = db.execute(
                        "SELECT job_id FROM submissions WHERE submission = 'accepted'"
                    ).fetchone()
            except sqlite3.Error:
                row = None
            if row:
                return str(row[0])
        time.sleep(0.02)
    raise AssertionError("no accepted job in the journal")


@pytest.mark.parametrize("provider", ["fal", "scenario"])
def test_a_local_clip_is_uploaded_once_across_a_kill_and_resume(
    server: Any, work: Path, provider: str
) -> None:
    journal = work / "journal.sqlite3"
    env = {**server.env(), "MUSICBIND_JOURNAL": str(journal)}
    before = uploads(server, provider)
    (work / "payload.json").write_text(json.dumps(payload(provider, "clip.mp4")))
    args = [REFS[provider], "payload.json", "--out", "out", "--timeout", "30"]
    command = [sys.executable, "-P", "-m", "musicbind", "run", *args]
    with subprocess.Popen(
        command, cwd=work, env=_env(work, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as running:
        job_id = _accepted_job(journal, time.monotonic() + 30)
        os.kill(running.pid, signal.SIGKILL)  # mid-wait: the job runs on at the provider
        running.communicate(timeout=10)
    assert running.returncode == -signal.SIGKILL
    assert uploads(server, provider) == before + 1

    resumed = musicbind("resume", job_id, "--out", "out", "--timeout", "30", cwd=work, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert [Path(line).parent.name for line in resumed.stdout.split()] == ["out"]

    # A second process with the same content (another name) reuses the recorded upload.
    shutil.copy(work / "clip.mp4", work / "same-clip.mp4")
    (work / "again.json").write_text(json.dumps(payload(provider, "same-clip.mp4", length=4.0)))
    again = musicbind("run", REFS[provider], "again.json", "--out", "out2", cwd=work, env=env)
    assert again.returncode == 0, again.stderr
    assert uploads(server, provider) == before + 1
    entries = Journal(journal).entries()
    assert [e.state for e in entries] == ["SUCCEEDED", "SUCCEEDED"]
    sent = [json.loads(e.payload_json)[FIELDS[provider][0]] for e in entries]
    # what went out is the upload's value (fal's file URL, Scenario's asset id), twice
    assert sent[0] == sent[1]
    assert sent[0].startswith(f"{server.origin}/files/fal/" if provider == "fal" else "asset_")
    with sqlite3.connect(journal) as db:
        assert db.execute("SELECT count(*) FROM uploads").fetchone() == (1,)


@pytest.mark.parametrize("provider", ["fal", "scenario"])
def test_offset_past_the_clip_is_refused_with_no_media_duration(
    server: Any, work: Path, provider: str
) -> None:
    """The 12 s clip's length is read from the file: 10 + 5 > 12 is refused everywhere."""
    journal = work / "journal.sqlite3"
    env = {**server.env(), "MUSICBIND_JOURNAL": str(journal)}
    sent, uploaded = len(server.ledger.submissions), uploads(server, provider)
    (work / "late.json").write_text(json.dumps(payload(provider, "clip.mp4", offset=10.0)))
    done = musicbind("run", REFS[provider], "late.json", cwd=work, env=env)
    assert done.returncode == 1
    assert "rule segment_within_media" in done.stderr and "12" in done.stderr
    checked = musicbind("validate", "late.json", "--model", REFS[provider], cwd=work, env=env)
    assert checked.returncode == 1 and "segment_within_media" in checked.stdout
    fine = json.dumps(payload(provider, "clip.mp4", offset=6.0))  # 6 + 5 <= 12
    (work / "fits.json").write_text(fine)
    ok = musicbind("validate", "fits.json", "--model", REFS[provider], cwd=work, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "not checked" not in ok.stderr  # the length was known

    client = _client(server, provider, journal)
    with pytest.raises(ValueError, match="must not exceed the length"):
        client.submit(REFS[provider], payload(provider, str(work / "clip.mp4"), offset=10.0))
    estimate = client.estimate_cost(REFS[provider], payload(provider, work / "clip.mp4", 2.0))
    assert provider == "scenario" or str(estimate) == "0.0450"  # 5 s x $0.009
    assert (len(server.ledger.submissions), uploads(server, provider)) == (sent, uploaded)
    assert not journal.exists() or Journal(journal).entries() == []


UNSENDABLE = {
    "missing": ("no-such-clip.mp4", "no such local file"),
    "file-url": ("file://{clip}", "file:// URLs are not sent"),
    "ftp": ("ftp://media.example/clip.mp4", "ftp:// URLs are not fetched"),
}


@pytest.mark.parametrize("provider", ["fal", "scenario"])
@pytest.mark.parametrize("case", sorted(UNSENDABLE))
def test_unsendable_file_values_are_refused_with_nothing_sent(
    server: Any, work: Path, provider: str, case: str
) -> None:
    value, reason = UNSENDABLE[case]
    value = value.format(clip=work / "clip.mp4")
    journal = work / "journal.sqlite3"
    env = {**server.env(), "MUSICBIND_JOURNAL": str(journal)}
    sent, uploaded = len(server.ledger.submissions), uploads(server, provider)
    (work / "bad.json").write_text(json.dumps(payload(provider, value)))

    done = musicbind("run", REFS[provider], "bad.json", cwd=work, env=env)
    assert done.returncode == 1 and reason in done.stderr, done.stderr
    assert "nothing was submitted" in done.stderr and "Traceback" not in done.stderr
    checked = musicbind("validate", "bad.json", "--model", REFS[provider], cwd=work, env=env)
    assert checked.returncode == 1 and reason in checked.stdout, checked.stdout
    with pytest.raises(FileInputError, match=reason):
        _client(server, provider, journal).submit(REFS[provider], payload(provider, value))

    assert (len(server.ledger.submissions), uploads(server, provider)) == (sent, uploaded)
    assert not journal.exists() or Journal(journal).entries() == []


def _client(server: Any, provider: str, journal: Path) -> Client:
    env = server.env()
    protocol = __import__(f"musicbind.generated.{provider}", fromlist=["PROTOCOL"]).PROTOCOL
    keys = ("FAL_KEY",) if provider == "fal" else ("SCENARIO_API_KEY", "SCENARIO_API_SECRET")
    credentials = dict(zip(("api_key", "api_secret"), (env[k] for k in keys), strict=False))

    class Generated(Client):
        def resolve_binding(self, ref: str) -> Any:
            return generated.get_binding(ref)

    return Generated(
        protocol=protocol, base_url=server.base_url(provider), journal=journal, **credentials
    )


def test_probe_urls_reads_a_remote_clip_length(server: Any, work: Path) -> None:
    """Opt-in: with --probe-urls the length of an http(s) clip is read from its header."""
    env = {**server.env(), "MUSICBIND_JOURNAL": str(work / "journal.sqlite3")}
    (work / "remote.json").write_text(json.dumps(payload("fal", server.media_url(), offset=10.0)))
    unchecked = musicbind("validate", "remote.json", "--model", REFS["fal"], cwd=work, env=env)
    assert unchecked.returncode == 0 and "not checked" in unchecked.stderr
    probed = musicbind(
        "validate", "remote.json", "--model", REFS["fal"], "--probe-urls", cwd=work, env=env
    )
    assert probed.returncode == 1 and "segment_within_media" in probed.stdout
    sent = len(server.ledger.submissions)
    refused = musicbind("run", REFS["fal"], "remote.json", "--probe-urls", cwd=work, env=env)
    assert refused.returncode == 1 and "12 s" in refused.stderr
    assert len(server.ledger.submissions) == sent


# Multipart: the demo clip (5164 bytes) above a lowered threshold goes up in 1 KiB parts.
PART_BYTES = 1024
CLIP_PARTS = 6  # 5 x 1024 + 44


def _multipart_client(server: Any, journal: Path) -> Client:
    client = _client(server, "fal", journal)
    client.adapter.multipart_threshold_bytes = PART_BYTES  # type: ignore[attr-defined]
    client.adapter.multipart_chunk_bytes = PART_BYTES  # type: ignore[attr-defined]
    return client


def _stored(server: Any) -> list[Any]:
    return list(fal_emulator.storage_uploads(server.emulator))


@pytest.fixture
def faults(server: Any) -> Iterator[Any]:
    """The module's emulator with faults set by the test, cleared afterwards."""
    yield server
    server.set_faults("")


def test_a_large_clip_goes_up_in_parts_once_per_journal(server: Any, work: Path) -> None:
    journal = work / "journal.sqlite3"
    before = _stored(server)
    client = _multipart_client(server, journal)
    progress: list[Any] = []
    client.on_upload_progress = progress.append
    clip = work / "clip.mp4"
    job = client.submit(REFS["fal"], payload("fal", str(clip)))
    again = client.submit(REFS["fal"], payload("fal", clip, length=4.0))  # the same file
    third = _multipart_client(server, journal)  # another client (process) on the journal
    third.submit(REFS["fal"], payload("fal", str(clip), length=3.0))

    (stored,) = _stored(server)[len(before) :]
    assert (stored.parts, stored.size) == (CLIP_PARTS, clip.stat().st_size)
    sent = {json.loads(e.payload_json)["video_url"] for e in Journal(journal).entries()}
    assert sent == {f"{server.origin}/{stored.path}"}
    assert server.get("/" + stored.path).content == clip.read_bytes()  # the URL works
    assert job.result(timeout=30) is not None and again.result(timeout=30) is not None
    assert [p.sent for p in progress] == [*range(PART_BYTES, 5 * PART_BYTES + 1, PART_BYTES), 5164]
    assert {p.total for p in progress} == {5164}
    with sqlite3.connect(journal) as db:
        assert db.execute("SELECT count(*), max(size) FROM uploads").fetchone() == (1, 5164)
    client.close()
    third.close()


def test_a_part_failing_once_is_retried_alone(faults: Any, work: Path) -> None:
    """Part 2 answers 503 once: it alone is sent again (no second initiate), and the
    upload completes with the key never reaching the upload host (it would answer 400)."""
    before = _stored(faults)
    faults.set_faults("fal.upload=503@2")  # initiate and part 1 pass, part 2 fails once
    client = _multipart_client(faults, work / "journal.sqlite3")
    client.submit(REFS["fal"], payload("fal", work / "clip.mp4"))
    (rule,) = faults.emulator.faults.remaining()
    # initiate + 6 parts + the retried part + complete, one fault fired
    assert (rule["fired"], rule["seen"]) == (1, 1 + CLIP_PARTS + 1 + 1)
    (stored,) = _stored(faults)[len(before) :]
    assert faults.get("/" + stored.path).content == (work / "clip.mp4").read_bytes()
    client.close()


KILLED_UPLOAD = """
import sys
from pathlib import Path

from musicbind.generated import get_binding
from musicbind.generated.fal import PROTOCOL
from musicbind.runtime.client import Client

base_url, key, journal, clip = sys.argv[1:5]
client = Client(protocol=PROTOCOL, base_url=base_url, api_key=key, journal=journal)
client.adapter.multipart_threshold_bytes = {part}
client.adapter.multipart_chunk_bytes = {part}
job = client.submit(get_binding("{ref}"), {{"video_url": Path(clip), "duration": 5}})
print(job.job_id)
"""


def test_a_kill_between_parts_then_a_rerun_uploads_from_scratch(faults: Any, work: Path) -> None:
    """SIGKILL while part 3's answer is held back: nothing was submitted, nothing recorded,
    and the unfinished upload's file URL serves nothing. The rerun starts a new upload
    (parts of a killed upload are never reused) and submits only the completed file's URL."""
    journal = work / "journal.sqlite3"
    script = work / "upload.py"
    script.write_text(KILLED_UPLOAD.format(part=PART_BYTES, ref=REFS["fal"]))
    args = [faults.base_url("fal"), faults.env()["FAL_KEY"], str(journal), "clip.mp4"]
    command = [sys.executable, "-P", str(script), *args]
    env = _env(work, {})
    before, charged = _stored(faults), len(faults.ledger.submissions)
    faults.set_faults("fal.upload=slow(20)@3")  # initiate, parts 1-2 pass; part 3 hangs
    pending_before = set(fal_emulator.multipart_progress(faults.emulator))
    with subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as running:
        deadline = time.monotonic() + 30
        token = None
        while time.monotonic() < deadline and token is None:
            pending = fal_emulator.multipart_progress(faults.emulator)
            token = next(
                (t for t, n in pending.items() if t not in pending_before and n >= 3), None
            )
            time.sleep(0.02)
        assert token is not None, running.stderr.read() if running.poll() is not None else ""
        os.kill(running.pid, signal.SIGKILL)
        running.communicate(timeout=10)
    assert running.returncode == -signal.SIGKILL
    faults.set_faults("")
    assert _stored(faults) == before and len(faults.ledger.submissions) == charged
    assert not journal.exists() or UploadRecords(journal).all() == []
    assert faults.get(f"/files/fal/{token}/clip.mp4").status_code == 404

    rerun = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    (stored,) = _stored(faults)[len(before) :]
    assert token not in stored.path and stored.parts == CLIP_PARTS
    (entry,) = Journal(journal).entries()
    assert json.loads(entry.payload_json)["video_url"] == f"{faults.origin}/{stored.path}"
    assert [r.value for r in UploadRecords(journal).all()] == [f"{faults.origin}/{stored.path}"]


def test_the_emulator_refuses_parts_that_cannot_make_the_file(server: Any) -> None:
    """What fal's storage refuses and the client never sends: a missing, duplicate or
    reordered part, a wrong ETag, a wrong signature, a key at the upload host."""
    env = server.env()
    with httpx.Client(timeout=10) as http:
        started = http.post(
            server.base_url("fal") + "/storage/upload/initiate-multipart",
            params={"storage_type": "fal-cdn-v3"},
            json={"file_name": "a.bin", "content_type": "application/octet-stream"},
            headers={"Authorization": f"Key {env['FAL_KEY']}"},
        ).json()
        upload = httpx.URL(started["upload_url"])
        assert upload.host != httpx.URL(started["file_url"]).host  # a signed URL elsewhere

        def at(tail: str, signature: str | None = None) -> httpx.URL:
            query = {"signature": signature or upload.params["signature"]}
            return upload.copy_with(path=f"{upload.path}/{tail}").copy_merge_params(query)

        tags = [http.put(at(str(n)), content=bytes([n]) * 10).headers["etag"] for n in (1, 2)]
        assert http.put(at("1", "forged"), content=b"x").status_code == 403
        keyed = http.put(at("1"), content=b"x", headers={"Authorization": "Key leaked"})
        assert keyed.status_code == 400
        bad = {
            "was not uploaded": [(1, tags[0]), (2, tags[1]), (3, tags[1])],
            "listed twice": [(1, tags[0]), (1, tags[0])],
            "in order": [(2, tags[1]), (1, tags[0])],
            "does not match": [(1, tags[0]), (2, tags[0])],
            "2 parts were uploaded but 1 listed": [(1, tags[0])],
        }
        for reason, listed in bad.items():
            parts = [{"partNumber": n, "etag": e} for n, e in listed]
            refused = http.post(at("complete"), json={"parts": parts})
            assert refused.status_code == 400 and reason in refused.json()["detail"], reason
        assert http.get(started["file_url"]).status_code == 404
        parts = [{"partNumber": n, "etag": tags[n - 1]} for n in (1, 2)]
        assert http.post(at("complete"), json={"parts": parts}).status_code == 200
        assert http.get(started["file_url"]).content == b"\x01" * 10 + b"\x02" * 10
