"""Hostile servers: what a provider (or whatever answers in its place) can send back.

Loopback servers speak fal's queue protocol and misbehave on purpose: gzip bombs and
oversized bodies, JSON nested a hundred thousand deep, redirects and result URLs to other
origins, result URLs that are not http(s), file names that climb out of the folder or name
devices, status words never documented, a job id that changes between calls. The emulator's
own faults (a lost answer after a paid submit, malformed and truncated answers, redirects to
its second origin) run through every provider's generated client. In every case the client
raises a clear error or carries on correctly, memory stays bounded, no credential reaches
another origin, nothing is written outside the target folder and no job leaves the journal.
"""

from __future__ import annotations

import contextlib
import gzip
import importlib
import json
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from adversarial_support import Answer, LoopbackServer, Seen, add, files_under

from musicbind.emulator.server import EmulatorServer
from musicbind.generated.fal.client import FalClient
from musicbind.runtime.clock import Clock
from musicbind.runtime.errors import (
    APIConnectionError,
    APIResponseError,
    AuthenticationError,
    DownloadError,
    DownloadTooLargeError,
    MusicbindError,
    RateLimitError,
    SubmissionUncertainError,
    UnknownJobStatusError,
)
from musicbind.runtime.journal import Journal
from musicbind.runtime.polling import PollPolicy
from musicbind.runtime.retry import RetryPolicy

MODEL = "sonilo/v1.1/video-to-music"
REF = f"fal:{MODEL}"
PAYLOAD = {"video_url": "https://media.example/clip.mp4", "duration": 5.0}
KEY = "MBKEY-fal-servers-1f7a"
MIB = 1024 * 1024


class FakeTime:
    """Simulated time: waiting advances it at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(monotonic=lambda: self.now, sleep=self.sleep, random=lambda: 0.5)


@dataclass
class FalScript:
    """How the scripted fal server answers; each part can be replaced by a test."""

    job_id: str = "job-1"
    status: Callable[[Seen], Answer] | None = None
    result: Callable[[Seen], Answer] | None = None
    files: dict[str, Callable[[Seen], Answer]] = field(default_factory=dict)
    submit_answer: Callable[[Seen], dict[str, Any]] | None = None


def fal_handler(script: FalScript) -> Callable[[Seen], Answer]:
    """A fal queue server at ``/fal`` following ``script``."""

    def handle(seen: Seen) -> Answer:
        path = seen.path.split("?", 1)[0]
        if path.startswith("/files/"):
            return script.files[path](seen)
        if seen.method == "POST":
            body = (
                script.submit_answer(seen)
                if script.submit_answer
                else {"request_id": script.job_id, "status": "IN_QUEUE"}
            )
            return json_answer(body)
        if path.endswith("/status"):
            if script.status:
                return script.status(seen)
            return json_answer({"status": "COMPLETED"})
        if script.result:
            return script.result(seen)
        return json_answer({"audio": {"url": "https://cdn.invalid/a.wav"}, "audios": []})

    return handle


def json_answer(body: Any, status: int = 200) -> Answer:
    return Answer(status, {"content-type": "application/json"}, json.dumps(body).encode())


def audio_result(files: list[dict[str, Any]]) -> Callable[[Seen], Answer]:
    """A result naming ``files`` (fal's ``audio`` + ``audios``)."""
    return lambda seen: json_answer({"audio": files[0], "audios": files})


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Path]:
    """A folder whose every file is checked afterwards: nothing but out/ and the journal."""
    before = files_under(tmp_path)
    yield tmp_path
    allowed = (tmp_path / "out", tmp_path / "journal")
    written = [p for p in files_under(tmp_path) - before if not p.is_relative_to(allowed[0])]
    written = [p for p in written if not p.is_relative_to(allowed[1])]
    assert not written, f"written outside the target folder: {written}"


def fal_client(server: LoopbackServer, sandbox: Path, **options: Any) -> FalClient:
    time = FakeTime()
    defaults: dict[str, Any] = {
        "api_key": KEY,
        "base_url": f"{server.origin}/fal",
        "journal": sandbox / "journal" / "journal.sqlite3",
        "clock": time.clock(),
        "retry": RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05),
        "poll": PollPolicy(initial=0.01, max_interval=0.05),
        "timeout": 10.0,
    }
    return FalClient(**{**defaults, **options})


def credentials_seen(server: LoopbackServer) -> list[str]:
    return [s.path for s in server.seen if "authorization" in {k.lower() for k in s.headers}]


def journal_entries(sandbox: Path) -> list[Any]:
    with Journal(sandbox / "journal" / "journal.sqlite3") as book:
        return list(book.entries())


def run_and_download(client: FalClient, out: Path) -> list[Path]:
    job = client.submit(REF, PAYLOAD)
    return list(job.download(out))


# --- bodies ----------------------------------------------------------------------------------


def test_gzip_bomb_download_stops_at_the_cap(sandbox: Path) -> None:
    bomb = gzip.compress(b"\0" * (64 * MIB), compresslevel=9)
    files = [{"url": "", "file_name": "bomb.wav"}]
    script = FalScript(result=audio_result(files))
    script.files["/files/bomb"] = lambda seen: Answer(
        200, {"content-type": "audio/wav", "content-encoding": "gzip"}, bomb
    )
    with LoopbackServer(fal_handler(script)) as server:
        files[0]["url"] = f"{server.origin}/files/bomb"
        with fal_client(server, sandbox, max_download_bytes=MIB) as client:
            tracemalloc.start()
            try:
                with pytest.raises(DownloadTooLargeError, match="cap"):
                    run_and_download(client, sandbox / "out")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert len(bomb) < MIB and peak < 16 * MIB, peak
    assert list((sandbox / "out").iterdir()) == []  # no file, no .part left behind
    assert journal_entries(sandbox)[0].job_id == "job-1"
    add("server_faults", 1)


def _endless(chunk: bytes, count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
def test_oversized_download_is_refused_with_nothing_left(sandbox: Path, declared: bool) -> None:
    files = [{"url": "", "file_name": "big.wav"}]
    script = FalScript(result=audio_result(files))
    headers = {"content-type": "audio/wav"}
    if declared:
        headers["content-length"] = str(8 * MIB)
    script.files["/files/big"] = lambda seen: Answer(200, headers, _endless(b"x" * MIB, 8))
    with LoopbackServer(fal_handler(script)) as server:
        files[0]["url"] = f"{server.origin}/files/big"
        client = fal_client(server, sandbox, max_download_bytes=2 * MIB)
        with client, pytest.raises(DownloadTooLargeError):
            run_and_download(client, sandbox / "out")
    assert list((sandbox / "out").iterdir()) == []
    add("server_faults", 1)


def test_oversized_api_answer_is_refused_with_bounded_memory(sandbox: Path) -> None:
    chunk = b" " * MIB
    script = FalScript(
        status=lambda seen: Answer(200, {"content-type": "application/json"}, _endless(chunk, 40))
    )
    with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
        job = client.submit(REF, PAYLOAD)
        tracemalloc.start()
        try:
            with pytest.raises(APIResponseError, match="exceeds"):
                job.status()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 48 * MIB, peak  # the cap is 16 MiB; 40 MiB were sent
    add("server_faults", 1)


@pytest.mark.parametrize("status", [200, 500], ids=["answer", "error-answer"])
def test_deeply_nested_json_is_a_clear_error(sandbox: Path, status: int) -> None:
    depth = 100_000
    nested = b"[" * depth + b"]" * depth
    script = FalScript(
        status=lambda seen: Answer(status, {"content-type": "application/json"}, nested)
    )
    with LoopbackServer(fal_handler(script)) as server:
        client = fal_client(server, sandbox, retry=RetryPolicy(max_attempts=1))
        with client, pytest.raises(MusicbindError) as caught:
            client.submit(REF, PAYLOAD).status()
    assert "fal" in str(caught.value)
    add("server_faults", 1)


def _deepest_loadable() -> int:
    """The deepest nesting ``json.loads`` still reads in this process."""
    low, high = 1, 200_000
    while low < high:
        middle = (low + high + 1) // 2
        try:
            json.loads("[" * middle + "]" * middle)
        except RecursionError:
            high = middle - 1
        else:
            low = middle
    return low


def test_a_result_nested_as_deep_as_json_allows_is_not_a_crash(sandbox: Path) -> None:
    depth = _deepest_loadable() - 1
    nested = b'{"x":' * depth + b'{"url": "ftp://nowhere.invalid/a"}' + b"}" * depth
    script = FalScript(
        result=lambda seen: Answer(200, {"content-type": "application/json"}, nested)
    )
    with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
        job = client.submit(REF, PAYLOAD)
        with contextlib.suppress(MusicbindError):  # a clear error is fine, RecursionError not
            assert job.download(sandbox / "out") == []
    add("server_faults", 1)


# --- origins ---------------------------------------------------------------------------------


def test_no_credentials_reach_another_origin(sandbox: Path) -> None:
    with LoopbackServer(
        lambda seen: Answer(200, {"content-type": "audio/wav"}, b"RIFF" * 64)
    ) as cdn:
        files = [
            {"url": f"{cdn.origin}/a.wav", "file_name": "a.wav"},
            {"url": "", "file_name": "b.wav"},  # same host, outside the base path
        ]
        script = FalScript(
            result=audio_result(files),
            # the status answer moves to the other origin; a CDN-style answer comes back there
            status=lambda seen: Answer(302, {"location": f"{cdn.origin}/status"}),
        )
        script.files["/files/b"] = lambda seen: Answer(200, {"content-type": "audio/wav"}, b"RIFF")
        with LoopbackServer(fal_handler(script)) as server:
            files[1]["url"] = f"{server.origin}/files/b"
            with fal_client(server, sandbox) as client:
                job = client.submit(REF, PAYLOAD)
                with pytest.raises((UnknownJobStatusError, APIResponseError)):
                    job.status()  # the other origin answered with audio, not a status
                script.status = None
                paths = job.download(sandbox / "out")
            assert {p.name for p in paths} == {"a.wav", "b.wav"}
            assert credentials_seen(cdn) == []
            assert credentials_seen(server) and "/files/b" not in credentials_seen(server)
    add("server_faults", 3)


def test_redirect_loops_and_refusals_elsewhere_are_clear_errors(sandbox: Path) -> None:
    with LoopbackServer(lambda seen: json_answer({"error": "who are you"}, 401)) as other:
        script = FalScript(status=lambda seen: Answer(307, {"location": seen.path}))
        with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
            job = client.submit(REF, PAYLOAD)
            with pytest.raises(APIResponseError, match="redirects"):
                job.status()
            script.status = lambda seen: Answer(307, {"location": f"{other.origin}/status"})
            with pytest.raises(AuthenticationError, match="only sent under"):
                job.status()
        assert credentials_seen(other) == []
    add("server_faults", 2)


def test_result_urls_that_are_not_http_are_never_opened(sandbox: Path) -> None:
    secret = sandbox / "journal" / "not-for-download.txt"
    secret.parent.mkdir(parents=True)
    secret.write_text("MB-LOCAL-FILE-MARKER-77ab", encoding="utf-8")
    urls = [
        f"file://{secret}",
        f"file://localhost{secret}",
        "ftp://127.0.0.1/a.wav",
        "data:audio/wav;base64,UklGRg==",
        "javascript:alert(1)",
        str(secret),
        "gopher://127.0.0.1:70/_x",
    ]
    files = [{"url": url, "file_name": f"f{i}.wav"} for i, url in enumerate(urls)]
    script = FalScript(result=audio_result(files))
    with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
        assert run_and_download(client, sandbox / "out") == []
        # A redirect of an http result to file:// is refused too.
        files[:] = [{"url": f"{server.origin}/files/r", "file_name": "r.wav"}]
        script.files["/files/r"] = lambda seen: Answer(302, {"location": f"file://{secret}"})
        with pytest.raises(MusicbindError):
            run_and_download(client, sandbox / "out2")
    written = b"".join(p.read_bytes() for p in files_under(sandbox / "out") if p.is_file())
    assert b"MB-LOCAL-FILE-MARKER" not in written
    add("server_faults", len(urls) + 1)


HOSTILE_NAMES = [
    "../../escape.wav",
    "../../../../../../../../tmp/mb-escape.wav",
    "/tmp/mb-absolute.wav",
    "/etc/passwd",
    "C:\\Windows\\evil.wav",
    "..\\..\\evil.wav",
    "..",
    ".",
    "",
    "~/.bashrc",
    ".bashrc",
    "CON",
    "nul.wav",
    "COM1.txt",
    "LPT9",
    "a\x00b.wav",
    "line\nbreak.wav",
    "x" * 400 + ".wav",
    "-rf",
    "trick.wav/../../up.wav",
    "\u202eman.wav",
    "same.wav",
    "same.wav",
]


def test_server_file_names_never_leave_the_target_folder(sandbox: Path) -> None:
    files = [{"url": "", "file_name": name} for name in HOSTILE_NAMES]
    script = FalScript(result=audio_result(files))
    with LoopbackServer(fal_handler(script)) as server:
        for i, item in enumerate(files):
            item["url"] = f"{server.origin}/files/{i}"
            script.files[f"/files/{i}"] = lambda seen: Answer(
                200, {"content-type": "audio/wav"}, b"RIFF"
            )
        with fal_client(server, sandbox) as client:
            paths = run_and_download(client, sandbox / "out")
    out = (sandbox / "out").resolve()
    assert len(paths) == len(HOSTILE_NAMES)
    assert all(p.resolve().parent == out for p in paths), paths
    assert len({p.name for p in paths}) == len(paths)  # nothing overwritten
    reserved = {"CON", "NUL", "COM1", "LPT9"}
    assert not [p for p in paths if p.name.split(".")[0].upper() in reserved]
    assert not [p for p in paths if p.name.startswith((".", "-"))]
    entry = journal_entries(sandbox)[0]
    assert sorted(entry.files) == sorted(str(p) for p in paths)
    add("server_faults", len(HOSTILE_NAMES))


# --- job state -------------------------------------------------------------------------------

NEW_WORDS = ["PWNED", "", None, 5, "completed", "COMPLETED ", " IN_QUEUE", "SUCCESS", ["COMPLETED"]]


@pytest.mark.parametrize("word", NEW_WORDS, ids=repr)
def test_status_words_never_seen_are_errors_not_success(sandbox: Path, word: Any) -> None:
    script = FalScript(status=lambda seen: json_answer({"status": word}))
    with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
        job = client.submit(REF, PAYLOAD)
        with pytest.raises(UnknownJobStatusError):
            job.wait(timeout=5)
    entry = journal_entries(sandbox)[0]
    assert entry.job_id == "job-1" and entry.submission == "accepted"
    add("server_faults", 1)


def test_a_job_id_that_changes_between_calls_does_not_move_the_job(sandbox: Path) -> None:
    def status(seen: Seen) -> Answer:
        return json_answer(
            {
                "status": "COMPLETED",
                "request_id": "someone-elses-job",
                "response_url": "https://attacker.invalid/steal",
            }
        )

    script = FalScript(
        status=status,
        submit_answer=lambda seen: {
            "request_id": "job-1",
            "status": "IN_QUEUE",
            "status_url": "https://attacker.invalid/status",  # another origin: not used
        },
    )
    with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
        job = client.submit(REF, PAYLOAD)
        job.wait(timeout=5)
        job.result()
        script.submit_answer = lambda seen: {"request_id": "job-2", "status": "IN_QUEUE"}
        client.submit(REF, PAYLOAD)
    reads = [s.path for s in server.seen if s.method == "GET"]
    assert reads and all("/requests/job-1" in path for path in reads), reads
    assert job.job_id == "job-1"
    assert [e.job_id for e in sorted(journal_entries(sandbox), key=lambda e: e.created_at)] == [
        "job-1",
        "job-2",
    ]
    add("server_faults", 1)


def test_a_retry_after_of_years_is_an_error_not_a_hang(sandbox: Path) -> None:
    script = FalScript(status=lambda seen: Answer(429, {"retry-after": "999999999"}, b"{}"))
    with LoopbackServer(fal_handler(script)) as server, fal_client(server, sandbox) as client:
        job = client.submit(REF, PAYLOAD)
        with pytest.raises(RateLimitError) as caught:
            job.status()
    assert caught.value.retry_after is not None and caught.value.retry_after > 60
    add("server_faults", 1)


@pytest.mark.parametrize(
    "headers",
    [{"content-encoding": "br"}, {"content-length": "999"}],
    ids=["unknown-encoding", "short-body"],
)
def test_broken_downloads_leave_no_file(sandbox: Path, headers: dict[str, str]) -> None:
    files = [{"url": "", "file_name": "x.wav"}]
    script = FalScript(result=audio_result(files))
    script.files["/files/x"] = lambda seen: Answer(
        200, {"content-type": "audio/wav", **headers, "connection": "close"}, b"RIFF"
    )
    with LoopbackServer(fal_handler(script)) as server:
        files[0]["url"] = f"{server.origin}/files/x"
        with (
            fal_client(server, sandbox) as client,
            pytest.raises((DownloadError, APIConnectionError)),
        ):
            run_and_download(client, sandbox / "out")
    assert list((sandbox / "out").iterdir()) == []
    add("server_faults", 1)


# --- the emulator's faults, through every provider's client ------------------------------

EMULATOR_FAULTS = [
    ("fal", "fal.submit=reset_after_accept", SubmissionUncertainError),
    ("scenario", "scenario.submit=reset_after_accept", SubmissionUncertainError),
    ("aigateway", "aigateway.submit=reset_after_accept", SubmissionUncertainError),
    ("fal", "fal.status=malformed:*", APIResponseError),
    ("scenario", "scenario.status=unknown_status:*", UnknownJobStatusError),
    ("aigateway", "aigateway.status=unknown_status:*", UnknownJobStatusError),
    ("fal", "fal.download=truncate:*", MusicbindError),
    ("scenario", "scenario.download=bad_length:*", MusicbindError),
    ("aigateway", "aigateway.status=redirect", AuthenticationError),
    ("scenario", "scenario.status=redirect:*", APIResponseError),
    ("fal", "fal.result=redirect", AuthenticationError),
    ("scenario", "scenario.status=503:*", MusicbindError),
    ("aigateway", "aigateway.status=429(0):*", MusicbindError),
]
CLIENTS = {"fal": "FalClient", "scenario": "ScenarioClient", "aigateway": "AIgatewayClient"}
INPUTS = {
    "fal": (REF, {"video_url": "", "duration": 2.0}),
    "scenario": ("scenario:model_sonilo-v1-1-text-to-music", {"prompt": "x", "duration": 5}),
    "aigateway": ("aigateway:sonauto/v2/text-to-music", {"prompt": "x", "duration": 5.0}),
}


@pytest.mark.parametrize(
    ("provider", "faults", "error"), EMULATOR_FAULTS, ids=[f[1] for f in EMULATOR_FAULTS]
)
def test_emulator_faults_are_survived(
    sandbox: Path, provider: str, faults: str, error: type[Exception]
) -> None:
    module = importlib.import_module(f"musicbind.generated.{provider}.client")
    time = FakeTime()
    with EmulatorServer(seed=3, faults=faults) as emulator:
        ref, payload = INPUTS[provider]
        if provider == "fal":
            payload = {**payload, "video_url": emulator.media_url()}
        env = emulator.env()
        keys = (
            {"api_key": env["SCENARIO_API_KEY"], "api_secret": env["SCENARIO_API_SECRET"]}
            if provider == "scenario"
            else {"api_key": env["FAL_KEY" if provider == "fal" else "AIGATEWAY_API_KEY"]}
        )
        client = getattr(module, CLIENTS[provider])(
            base_url=emulator.base_url(provider),
            journal=sandbox / "journal" / "journal.sqlite3",
            clock=time.clock(),
            retry=RetryPolicy(max_attempts=2, initial_delay=0.01, max_delay=0.02),
            poll=PollPolicy(initial=0.01, max_interval=0.02),
            **keys,
        )
        with client, pytest.raises(error):
            job = client.submit(ref, payload)
            job.wait(timeout=60)
            job.download(sandbox / "out")
        assert emulator.ledger.duplicate_charges() == 0
    entries = journal_entries(sandbox)
    assert len(entries) == 1 and entries[0].submission in ("accepted", "uncertain")
    if entries[0].submission == "accepted":
        assert entries[0].job_id
    add("server_faults", 1)
