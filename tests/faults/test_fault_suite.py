"""The fault suite: each failure class of issue 14 against the hostile stand-in server.

Every case states exactly what the server does, and runs against the sync and the async
client (CLI cases run the command). Across them: no duplicate submission, no paid result
left unrecoverable, no traceback, no secret in any text.
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from fault_support import (
    FLAVOURS,
    KEY,
    MODEL,
    PAYLOAD,
    REF,
    FalScript,
    Flavour,
    cli,
    isolated_environment,
    run,
)
from hostile_server import (
    MIB,
    HostileServer,
    Reply,
    Request,
    bomb_reply,
    file_reply,
    json_reply,
    redirect,
    trickle,
)
from pydantic import ValidationError

from musicbind.runtime.errors import (
    APIResponseError,
    ConfigurationError,
    DownloadTooLargeError,
    JobTimeoutError,
    JournalError,
    MusicbindError,
    OutputValidationError,
    ServerError,
    SubmissionUncertainError,
    SubmitRedirectError,
    TooManyFilesError,
    UnrecordedJobError,
)
from musicbind.runtime.journal import Journal, fallback_path

__all__ = ["isolated_environment"]  # the autouse fixture, imported to apply here

flavours = pytest.mark.parametrize("flavour", FLAVOURS, ids=lambda f: f.name)
BOMB_BYTES = 512 * MIB


def _entries(path: Path) -> list[Any]:
    if not path.exists():
        return []
    with Journal(path) as journal:
        return journal.entries()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# 1. A resume checks the journalled file list against the result.


@flavours
def test_resume_fetches_the_files_an_interrupted_download_missed(
    flavour: Flavour, tmp_path: Path
) -> None:
    script = FalScript(files=["a.m4a", "b.m4a", "c.m4a"])
    refusals = {"b.m4a": 1}

    def file(request: Request, name: str) -> Reply:
        if refusals.get(name):
            refusals[name] -= 1
            return json_reply({"detail": "denied"}, 403)
        return file_reply(f"audio of {name}".encode())

    script.file = file
    out = tmp_path / "out"
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            job = await flavour.call(client.submit, REF, PAYLOAD)
            with pytest.raises(MusicbindError):
                await flavour.call(job.download, out)
            await flavour.close(client)
            client = flavour.client(server, tmp_path / "j.sqlite3")
            resumed = client.job(job.intent_id)
            paths = await flavour.call(resumed.download, out)
            again = await flavour.call(resumed.download, out)
            await flavour.close(client)
            assert sorted(p.name for p in paths) == ["a.m4a", "b.m4a", "c.m4a"]
            assert again == paths
            assert len(server.seen("GET", "/files/a.m4a")) == 1  # kept, not fetched again

        run(scenario)
    assert len(server.seen("POST")) == 1


# 2. A submit is retried only when no byte of it reached any host.


@flavours
def test_a_submit_redirected_to_another_host_is_not_followed(
    flavour: Flavour, tmp_path: Path
) -> None:
    script = FalScript()
    port = _closed_port()
    script.submit = lambda request: redirect(f"http://127.0.0.1:{port}/fal/{MODEL}")
    with HostileServer(script) as server:

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            with pytest.raises(SubmitRedirectError) as caught:
                await flavour.call(client.submit, REF, PAYLOAD)
            await flavour.close(client)
            assert f"127.0.0.1:{port}" in str(caught.value)

        run(scenario)
    assert len(server.seen("POST")) == 1
    assert [e.submission for e in _entries(tmp_path / "j.sqlite3")] == ["rejected"]


@flavours
def test_a_connect_error_on_a_later_hop_is_not_never_sent(flavour: Flavour, tmp_path: Path) -> None:
    script = FalScript()
    with HostileServer(script) as server:
        # Same origin, then the listener closes: the second hop's connection is refused.
        script.submit = lambda request: Reply(
            307, [("Location", f"{server.origin}/fal/{MODEL}/moved")], [b""], stop_listening=True
        )

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            with pytest.raises(SubmissionUncertainError) as caught:
                await flavour.call(client.submit, REF, PAYLOAD)
            await flavour.close(client)
            assert f"/fal/{MODEL}/moved" in str(caught.value)  # the host that failed

        run(scenario)
    assert len(server.seen("POST")) == 1
    assert [e.submission for e in _entries(tmp_path / "j.sqlite3")] == ["uncertain"]


# 3. Provider text never becomes terminal markup or escape sequences.


def _journalled_job(server: HostileServer, journal: Path) -> str:
    async def scenario() -> str:
        client = FLAVOURS[0].client(server, journal)
        job = client.submit(REF, PAYLOAD)
        client.close()
        return str(job.intent_id)

    import asyncio

    return asyncio.run(scenario())


def test_provider_text_is_shown_inert_in_progress_and_error_lines(tmp_path: Path) -> None:
    script = FalScript()
    polls = {"n": 0}
    hostile_logs = [
        "[link=https://evil.example]click[/link] \x1b[31mred\x1b[0m\x07",
        "loading weights from [/cache/v2]",
    ]

    def status(request: Request) -> Reply:
        polls["n"] += 1
        word = "IN_PROGRESS" if polls["n"] == 1 else "COMPLETED"
        logs = [{"message": m} for m in hostile_logs[: polls["n"]]]
        return json_reply({"status": word, "logs": logs})

    script.status = status
    journal = tmp_path / "j.sqlite3"
    with HostileServer(script) as server:
        script.origin = server.origin
        intent = _journalled_job(server, journal)
        done = cli("resume", intent, "--journal", str(journal), "--out", str(tmp_path / "o"))
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert "\x1b" not in done.stderr + done.stdout
        assert "\x07" not in done.stderr + done.stdout
        assert (tmp_path / "o" / "a.m4a").is_file()

        script.status = lambda request: json_reply({"status": "\x1b[2J[bold]PWNED[/bold]\x1b]8;;"})
        second = _journalled_job(server, journal)
        failed = cli("resume", second, "--journal", str(journal), "--out", str(tmp_path / "o"))
    assert failed.returncode == 1
    assert "\x1b" not in failed.stderr
    assert "Traceback" not in failed.stderr
    assert "[bold]PWNED[/bold]" in failed.stderr  # shown literally, not styled


# 4. Every body is decoded under a byte budget, checked while decoding.


@flavours
@pytest.mark.parametrize("where", ["status", "error", "submit", "big_status"])
def test_bodies_are_decoded_under_a_budget(flavour: Flavour, where: str, tmp_path: Path) -> None:
    script = FalScript()
    if where == "status":
        script.status = lambda request: bomb_reply(BOMB_BYTES)
    elif where == "error":
        script.status = lambda request: bomb_reply(BOMB_BYTES, status=500)
    elif where == "submit":
        script.submit = lambda request: bomb_reply(BOMB_BYTES)
    else:
        logs = [{"message": "x" * 60}] * (15 * MIB // 80)
        big = json.dumps({"status": "IN_PROGRESS", "logs": logs}).encode()
        script.status = lambda request: Reply(200, [("Content-Type", "application/json")], [big])
    expected: type[Exception] = {
        "status": APIResponseError,
        "error": ServerError,
        "submit": SubmissionUncertainError,
        "big_status": APIResponseError,
    }[where]
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            tracemalloc.start()
            try:
                with pytest.raises(expected):
                    job = await flavour.call(client.submit, REF, PAYLOAD)
                    await flavour.call(job.wait, 10)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
                await flavour.close(client)
            assert peak < 48 * MIB, f"peak {peak / MIB:.0f} MiB"

        run(scenario)
    assert len(server.seen("POST")) == 1


# 5. A job id the journal cannot record is kept, and a job can be resumed by its id.


@flavours
def test_a_job_the_journal_could_not_record_is_kept_and_resumable(
    flavour: Flavour, tmp_path: Path
) -> None:
    journal_path = tmp_path / "j.sqlite3"
    holder: dict[str, sqlite3.Connection] = {}
    script = FalScript(job_id="req-lost-1")

    def submit(request: Request) -> Reply:
        db = sqlite3.connect(journal_path, timeout=5, isolation_level=None, check_same_thread=False)
        db.execute("BEGIN IMMEDIATE")  # another process writes: the journal is locked
        holder["db"] = db
        return json_reply({"request_id": "req-lost-1", "status": "IN_QUEUE"})

    script.submit = submit
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            journal = Journal(journal_path, lock_timeout=0.2)
            client = flavour.client(server, journal)
            with pytest.raises(UnrecordedJobError) as caught:
                await flavour.call(client.submit, REF, PAYLOAD)
            holder["db"].execute("ROLLBACK")
            holder["db"].close()
            error = caught.value
            assert error.job_id == "req-lost-1"
            assert f"musicbind resume --job-id req-lost-1 --ref {REF}" in str(error)
            assert error.fallback_path == fallback_path(journal_path)
            kept = [
                json.loads(line) for line in fallback_path(journal_path).read_text().splitlines()
            ]
            assert kept[0]["job_id"] == "req-lost-1" and kept[0]["ref"] == REF
            job = client.attach(REF, "req-lost-1")
            paths = await flavour.call(job.download, tmp_path / "py")
            assert [p.name for p in paths] == ["a.m4a"]
            await flavour.close(client)
            journal.close()

        run(scenario)
        done = cli(
            "resume", "--job-id", "req-lost-1", "--ref", REF,
            "--journal", str(tmp_path / "other.sqlite3"), "--out", str(tmp_path / "cli"),
            env={"MUSICBIND_FAL_BASE_URL": f"{server.origin}/fal"},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cli" / "a.m4a").is_file()
    assert len(server.seen("POST")) == 1


@flavours
def test_reconcile_attaches_the_job_an_uncertain_submit_created(
    flavour: Flavour, tmp_path: Path
) -> None:
    script = FalScript(job_id="req-real-9")
    script.submit = lambda request: Reply(drop=True)  # the job is created, the answer lost
    journal = tmp_path / "j.sqlite3"
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, journal)
            with pytest.raises(SubmissionUncertainError) as caught:
                await flavour.call(client.submit, REF, PAYLOAD)
            assert "musicbind reconcile" in str(caught.value)
            assert "sha256" not in str(caught.value)
            job = client.reconcile(caught.value.intent_id, "req-real-9")
            paths = await flavour.call(job.download, tmp_path / "o")
            assert [p.name for p in paths] == ["a.m4a"]
            await flavour.close(client)

        run(scenario)
    assert [(e.submission, e.job_id) for e in _entries(journal)] == [("accepted", "req-real-9")]
    assert len(server.seen("POST")) == 1


def test_cli_reconcile(tmp_path: Path) -> None:
    script = FalScript(job_id="req-real-9")
    script.submit = lambda request: Reply(drop=True)
    journal = tmp_path / "j.sqlite3"
    with HostileServer(script) as server:
        script.origin = server.origin
        client = FLAVOURS[0].client(server, journal)
        with pytest.raises(SubmissionUncertainError) as caught:
            client.submit(REF, PAYLOAD)
        client.close()
        done = cli(
            "reconcile", caught.value.intent_id, "--job-id", "req-real-9",
            "--journal", str(journal), "--out", str(tmp_path / "o"),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "a.m4a").is_file()


# 6. wait(timeout=...) is an overall deadline.


@flavours
@pytest.mark.parametrize("how", ["trickle", "never_answers"])
def test_wait_timeout_is_an_overall_deadline(flavour: Flavour, how: str, tmp_path: Path) -> None:
    script = FalScript()
    if how == "trickle":
        body = b'{"status": "IN_PROGRESS"}' + b" " * 15
        script.status = lambda request: trickle(body, 0.3)
    else:
        script.status = lambda request: Reply(hang=True)
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            job = await flavour.call(client.submit, REF, PAYLOAD)
            started = time.monotonic()
            with pytest.raises(JobTimeoutError) as caught:
                await flavour.call(job.wait, 1.5)
            elapsed = time.monotonic() - started
            await flavour.close(client)
            assert elapsed < 4.0, f"wait(timeout=1.5) took {elapsed:.1f} s"
            assert "req-0001" in str(caught.value)

        run(scenario)


# 7. Secrets with odd bytes are stripped or refused before use, and never shown.


@flavours
@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\t", " \u00a0\n"], ids=repr)
def test_a_key_with_trailing_whitespace_is_stripped(
    flavour: Flavour,
    suffix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("FAL_KEY", KEY + suffix)
    script = FalScript()
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3", api_key=None)
            job = await flavour.call(client.submit, REF, PAYLOAD)
            await flavour.call(job.download, tmp_path / "o")
            await flavour.close(client)

        run(scenario)
    assert {r.headers["authorization"] for r in server.requests if "/fal/" in r.path} == {
        f"Key {KEY}"
    }
    texts = [
        caplog.text,
        *(p.read_bytes().decode("latin-1") for p in tmp_path.rglob("*") if p.is_file()),
    ]
    assert not [t for t in texts if KEY in t]


@flavours
@pytest.mark.parametrize("odd", ["\u200b", "\u00a0", "\x00"], ids=repr)
def test_a_key_with_an_odd_character_inside_is_refused_before_anything(
    flavour: Flavour, odd: str, tmp_path: Path
) -> None:
    key = KEY[:6] + odd + KEY[6:]
    script = FalScript()
    with HostileServer(script) as server, pytest.raises(ConfigurationError) as caught:
        flavour.client(server, tmp_path / "j.sqlite3", api_key=key)
    assert KEY[:6] not in str(caught.value) and KEY[7:] not in str(caught.value)
    assert "Nothing was sent" in str(caught.value)
    assert server.requests == []
    assert _entries(tmp_path / "j.sqlite3") == []


@flavours
def test_child_loggers_are_redacted(
    flavour: Flavour, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with HostileServer(FalScript()) as server:

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            logging.getLogger("musicbind.http").warning("the key is %s", KEY)
            logging.getLogger("musicbind.runtime.anything").error("key=" + KEY)
            await flavour.close(client)

        run(scenario)
    assert "the key is ***" in caplog.text
    assert KEY not in caplog.text


# 8. Output drift does not block the paid result.

DRIFTED = {"audio": {"file_size": "huge"}, "audios": "gone"}


@flavours
def test_a_result_whose_shape_changed_still_downloads(flavour: Flavour, tmp_path: Path) -> None:
    script = FalScript()
    journal = tmp_path / "j.sqlite3"
    with HostileServer(script) as server:
        script.origin = server.origin
        body = {**DRIFTED, "audio": {"url": script.file_url("a.m4a"), "file_size": "huge"}}
        script.result = lambda request: json_reply(body)

        async def scenario() -> None:
            client = flavour.client(server, journal)
            job = await flavour.call(client.submit, REF, PAYLOAD)
            with pytest.raises(OutputValidationError) as caught:
                await flavour.call(job.result, 5)
            assert caught.value.raw == body
            paths = await flavour.call(job.download, tmp_path / "o")
            assert [p.name for p in paths] == ["a.m4a"]
            await flavour.close(client)
            return None

        run(scenario)
        intent = _entries(journal)[0].intent_id
        resumed = cli("resume", intent, "--journal", str(journal), "--out", str(tmp_path / "r"))
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "r" / "a.m4a").is_file()


# 9. A cap on file count and total bytes per job.


@flavours
def test_a_result_with_500_files_is_refused_before_any_download(
    flavour: Flavour, tmp_path: Path
) -> None:
    script = FalScript(files=[f"f{i}.m4a" for i in range(500)])
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            job = await flavour.call(client.submit, REF, PAYLOAD)
            with pytest.raises(TooManyFilesError):
                await flavour.call(job.download, tmp_path / "o")
            await flavour.close(client)

        run(scenario)
    assert server.seen("GET", "/files/") == []


@flavours
def test_total_bytes_per_job_are_capped(flavour: Flavour, tmp_path: Path) -> None:
    script = FalScript(files=["a.m4a", "b.m4a", "c.m4a"])
    script.file = lambda request, name: file_reply(b"x" * 600)
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3", max_job_bytes=1000)
            job = await flavour.call(client.submit, REF, PAYLOAD)
            with pytest.raises(DownloadTooLargeError):
                await flavour.call(job.download, tmp_path / "o")
            await flavour.close(client)

        run(scenario)
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.m4a"]


# 10. Journal damage: a one-line error naming the journal, never a traceback or a new journal.


def _damage(kind: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "devnull":
        return Path("/dev/null")
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "not_a_database":
        path.write_bytes(b"these are my notes, not a database\n" * 200)
    elif kind == "foreign":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE users (name TEXT)")
            db.execute("INSERT INTO users VALUES ('ada')")
        db.close()
    elif kind in ("malformed", "locked"):
        with Journal(path) as journal:
            for _ in range(3):
                journal.record_intent(
                    protocol=_protocol(), ref=REF, model_id=MODEL, base_url="http://x", payload={}
                )
        if kind == "malformed":
            data = bytearray(path.read_bytes())
            data[100:4096] = b"\xff" * (4096 - 100)
            path.write_bytes(bytes(data))
    return path


def _protocol() -> Any:
    from musicbind.generated.fal import PROTOCOL

    return PROTOCOL


DAMAGE = ["empty", "not_a_database", "foreign", "malformed", "devnull", "locked"]


@flavours
@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_journal_is_a_clear_error_and_left_alone(
    flavour: Flavour, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSICBIND_JOURNAL_LOCK_TIMEOUT", "0.2")
    path = _damage(kind, tmp_path / "journal" / "j.sqlite3")
    before = path.read_bytes() if path.is_file() else None
    holder = None
    if kind == "locked":
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    with HostileServer(FalScript()) as server:

        async def scenario() -> None:
            client = flavour.client(server, path)
            try:
                with pytest.raises(JournalError) as caught:
                    await flavour.call(client.submit, REF, PAYLOAD)
            finally:
                await flavour.close(client)
            message = str(caught.value)
            assert str(path) in message and "\n" not in message
            if kind == "locked":
                assert "locked" in message

        run(scenario)
    if holder is not None:
        holder.execute("ROLLBACK")
        holder.close()
    assert server.requests == []
    if before is not None:
        assert path.read_bytes() == before


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("command", ["jobs", "resume"])
def test_cli_on_a_damaged_journal(kind: str, command: str, tmp_path: Path) -> None:
    path = _damage(kind, tmp_path / "journal" / "j.sqlite3")
    before = path.read_bytes() if path.is_file() else None
    holder = None
    if kind == "locked":
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    args = ["jobs"] if command == "jobs" else ["resume", "abc"]
    try:
        done = cli(*args, "--journal", str(path), env={"MUSICBIND_JOURNAL_LOCK_TIMEOUT": "0.2"})
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    if kind == "locked" and command == "jobs":
        assert done.returncode == 0, done.stderr  # reading is not blocked by a writer
        return
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: journal {path}"), done.stderr
    if before is not None:
        assert path.read_bytes() == before


@flavours
def test_a_lone_surrogate_is_refused_before_the_journal(flavour: Flavour, tmp_path: Path) -> None:
    with HostileServer(FalScript()) as server:

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            with pytest.raises(ValidationError):
                payload = {**PAYLOAD, "prompt": "calm \ud800 piano"}
                await flavour.call(client.submit, REF, payload)
            await flavour.close(client)

        run(scenario)
    assert server.requests == []
    assert _entries(tmp_path / "j.sqlite3") == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@flavours
def test_part_files_of_dead_processes_are_cleaned(flavour: Flavour, tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    stale = [out / f".musicbind-{_dead_pid()}-abc.part", out / ".musicbind-old.part"]
    for path in stale:
        path.write_bytes(b"half a file")
    script = FalScript()
    with HostileServer(script) as server:
        script.origin = server.origin

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")
            job = await flavour.call(client.submit, REF, PAYLOAD)
            await flavour.call(job.download, out)
            await flavour.close(client)

        run(scenario)
    assert sorted(p.name for p in out.iterdir()) == ["a.m4a"]


def test_concurrent_resumes_of_one_job_download_once(tmp_path: Path) -> None:
    script = FalScript(files=["a.m4a", "b.m4a", "c.m4a"])
    script.file = lambda request, name: Reply(
        200, [("Content-Type", "audio/mp4")], [b"x" * 10] * 10, pause=0.03
    )
    journal = tmp_path / "j.sqlite3"
    with HostileServer(script) as server:
        script.origin = server.origin
        intent = _journalled_job(server, journal)
        command = [sys.executable, "-P", "-m", "musicbind", "resume", intent]
        command += ["--journal", str(journal), "--out", str(tmp_path / "o")]
        env = {**__import__("os").environ, "FAL_KEY": KEY}
        children = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        results = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], results
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.m4a", "b.m4a", "c.m4a"]
    assert len(server.seen("GET", "/files/")) == 3


# The plans (runtime/plans.py): an interrupt during the paid submit is journalled uncertain.


@flavours
def test_an_interrupted_submit_is_journalled_uncertain(
    flavour: Flavour, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    interrupt: BaseException = (
        KeyboardInterrupt() if flavour.name == "sync" else asyncio.CancelledError()
    )
    with HostileServer(FalScript()) as server:

        async def scenario() -> None:
            client = flavour.client(server, tmp_path / "j.sqlite3")

            def interrupted(*args: Any, **kwargs: Any) -> Any:
                raise interrupt

            monkeypatch.setattr(client._transport._client, "send", interrupted)
            with pytest.raises(type(interrupt)):
                await flavour.call(client.submit, REF, PAYLOAD)
            await flavour.close(client)

        run(scenario)
    [entry] = _entries(tmp_path / "j.sqlite3")
    assert entry.submission == "uncertain"
    assert type(interrupt).__name__ in (entry.error or "")
