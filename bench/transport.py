"""Bench: transport against the local emulator: polling and per-call overhead.

Polling: the generated fal client's ``Job.wait`` and a fixed 0.1 s poller (what fal_client
does) wait for the same emulated jobs of 5 s, 30 s and 300 s. Time is simulated: the
emulator and the client read one :class:`SimulatedClock`, the wall clock with every sleep
skipped, while every status request is a real HTTP request to the emulator on loopback
(its latency counts), so a 300 s job takes seconds. One short job per poller is then waited for in
real time, to check the simulation against the clock on the wall.

Overhead: the generated client against a bare ``httpx.Client`` loop doing the same
requests, against the emulator served by a separate process (``musicbind emulate``), so
the server does not compete with the client for the interpreter lock.
"""

from __future__ import annotations

import asyncio
import math
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.measure import summary, tool, tool_env
from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer
from musicbind.emulator.state import FAL_KEY
from musicbind.generated.fal.client import FalClient
from musicbind.runtime.clock import SYSTEM_CLOCK, Clock

MODEL_PATH = "sonilo/v1.1/video-to-music"
FIXED_INTERVAL = 0.1
PAYLOAD = {"duration": 5.0}  # plus video_url: the emulator's demo video (12 s)
READY_ATTEMPTS = 200
CHUNK_CALLS = 20  # calls per timed sample in the overhead comparison


class SimulatedClock:
    """The wall clock with every sleep skipped: requests take real time, waits take none.

    The emulator and the client read this one clock, so a job's completion and its
    detection are compared on the same time line, request latency included.
    """

    def __init__(self) -> None:
        self.skipped = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def wall(self) -> float:
        return time.time() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.skipped += max(seconds, 0.0)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def clock(self) -> Clock:
        return Clock(
            monotonic=self.monotonic,
            wall=self.wall,
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            random=lambda: 0.5,
        )


def _musicbind_wait(emu: EmulatorServer, clock: Clock, journal: Path) -> dict[str, Any]:
    """Submit one job with the generated client and wait for it; requests and delay."""
    # Not `with FalClient(...) as fal`: Client.__enter__ is annotated `-> Client`, which
    # hides the generated methods from a type checker.
    fal = FalClient(api_key=FAL_KEY, base_url=emu.base_url("fal"), journal=journal, clock=clock)
    with fal:
        job = fal.submit_sonilo_v1_1_video_to_music(video_url=emu.media_url(), duration=5.0)
        readings: list[object] = []
        job.wait(timeout=math.inf, on_progress=readings.append)
        detected = clock.monotonic()
    emulated = emu.emulator.job("fal", job.job_id)
    assert emulated is not None
    return {"status_requests": len(readings), "detection_delay_s": detected - emulated.run_end}


def _fixed_wait(emu: EmulatorServer, clock: Clock, length: float) -> dict[str, Any]:
    """Submit one job with bare httpx and poll its status every 0.1 s, as fal_client does."""
    headers = {"Authorization": f"Key {FAL_KEY}"}
    limit = int(length / FIXED_INTERVAL) * 2 + 100
    with httpx.Client(headers=headers, timeout=10.0) as http:
        answer = http.post(
            f"{emu.base_url('fal')}/{MODEL_PATH}", json={"video_url": emu.media_url(), **PAYLOAD}
        )
        answer.raise_for_status()
        queued = answer.json()
        requests = 0
        for _ in range(limit):
            requests += 1
            if http.get(queued["status_url"]).json()["status"] == "COMPLETED":
                break
            clock.sleep(FIXED_INTERVAL)
        detected = clock.monotonic()
    emulated = emu.emulator.job("fal", queued["request_id"])
    assert emulated is not None
    return {"status_requests": requests, "detection_delay_s": detected - emulated.run_end}


def polling(lengths: tuple[float, ...], realtime: float, work: Path) -> dict[str, Any]:
    """Status requests and completion-to-detection delay per job length, both pollers."""
    work.mkdir(parents=True, exist_ok=True)
    simulated = SimulatedClock()
    jobs: dict[str, Any] = {}
    with EmulatorServer(clock=simulated.monotonic) as emu:
        for length in lengths:
            emu.emulator.timing = Timing(queue_s=0.0, run_s=length)
            jobs[f"{length:g}"] = {
                "seconds": length,
                "musicbind": _musicbind_wait(emu, simulated.clock(), work / "poll.sqlite3"),
                "fixed_0.1s": _fixed_wait(emu, simulated.clock(), length),
            }
    real: dict[str, Any] = {"seconds": realtime}
    with EmulatorServer(timing=Timing(queue_s=0.0, run_s=realtime)) as emu:
        real["musicbind"] = _musicbind_wait(emu, SYSTEM_CLOCK, work / "real.sqlite3")
        real["fixed_0.1s"] = _fixed_wait(emu, SYSTEM_CLOCK, realtime)
    return {"fixed_interval_s": FIXED_INTERVAL, "simulated": jobs, "realtime": real}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_emulator(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [tool("musicbind"), "emulate", "--port", str(port), "--timing", "0,0"]
    process = subprocess.Popen(
        command, cwd=root, env=tool_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    origin = f"http://127.0.0.1:{port}"
    for _ in range(READY_ATTEMPTS):
        try:
            httpx.get(f"{origin}/media/demo.mp4", timeout=1.0).raise_for_status()
            return process, origin
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    _stop(process)
    raise RuntimeError("the emulator subprocess did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _per_call(function: Any, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls


def overhead(root: Path, work: Path, calls: int, rounds: int) -> dict[str, Any]:
    """Seconds per call: generated client against bare httpx, for submit, status and run."""
    work.mkdir(parents=True, exist_ok=True)
    process, origin = _start_emulator(root)
    media = f"{origin}/media/demo.mp4"
    payload = {"video_url": media, **PAYLOAD}
    base = f"{origin}/fal"
    samples: dict[str, dict[str, list[float]]] = {}
    fal = FalClient(api_key=FAL_KEY, base_url=base, journal=work / "overhead.sqlite3")
    try:
        with fal, httpx.Client(headers={"Authorization": f"Key {FAL_KEY}"}, timeout=10.0) as http:
            job = fal.submit_sonilo_v1_1_video_to_music(video_url=media, duration=5.0)
            job.wait(timeout=30)
            status_url = http.post(f"{base}/{MODEL_PATH}", json=payload).json()["status_url"]

            def bare_submit() -> object:
                answer = http.post(f"{base}/{MODEL_PATH}", json=payload)
                answer.raise_for_status()
                return answer.json()

            def bare_run() -> object:
                queued = bare_submit()
                assert isinstance(queued, dict)
                for _ in range(1000):
                    if http.get(queued["status_url"]).json()["status"] == "COMPLETED":
                        break
                    time.sleep(FIXED_INTERVAL)
                return http.get(queued["response_url"]).json()

            Call = Callable[[], object]
            cases: dict[str, tuple[Call, Call]] = {
                "submit": (
                    lambda: fal.submit_sonilo_v1_1_video_to_music(video_url=media, duration=5.0),
                    bare_submit,
                ),
                "status": (job.status, lambda: http.get(status_url).json()),
                "run": (
                    lambda: fal.sonilo_v1_1_video_to_music(video_url=media, duration=5.0),
                    bare_run,
                ),
            }
            for name, (client_call, bare_call) in cases.items():
                client_call()
                bare_call()
                samples[name] = {"musicbind": [], "httpx": []}
                pair = [("musicbind", client_call), ("httpx", bare_call)]
                # short alternating chunks: a burst of load elsewhere hits both sides alike
                for turn in range(rounds * max(calls // CHUNK_CALLS, 1)):
                    for label, function in pair if turn % 2 == 0 else pair[::-1]:
                        samples[name][label].append(_per_call(function, CHUNK_CALLS))
    finally:
        _stop(process)
    return {
        "calls_per_sample": CHUNK_CALLS,
        "calls_per_side": rounds * max(calls // CHUNK_CALLS, 1) * CHUNK_CALLS,
        "cases": {
            name: {label: summary(values) for label, values in pair.items()}
            for name, pair in samples.items()
        },
    }
