"""Bench: timing and memory primitives (subprocess runs with peak RSS, repeated samples)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

MIB = 1024 * 1024
SAMPLE_INTERVAL = 0.05  # seconds between memory samples of a running tool


def summary(samples: Sequence[float]) -> dict[str, Any]:
    """Median, min and max of ``samples`` (and the samples, for the record)."""
    values = [float(v) for v in samples]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
        "samples": values,
    }


def ratio(numerator: dict[str, Any] | float, denominator: dict[str, Any] | float) -> float:
    """``numerator / denominator`` of two summaries (their medians) or plain numbers."""
    top = numerator["median"] if isinstance(numerator, dict) else numerator
    bottom = denominator["median"] if isinstance(denominator, dict) else denominator
    return float(top) / float(bottom) if bottom else float("inf")


def tool_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for tool subprocesses: this interpreter's bin/ first on PATH."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYTHONHASHSEED", "0")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if extra:
        env.update(extra)
    return env


def tool(name: str) -> str:
    """Path of a console script installed next to this interpreter."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One finished subprocess: wall time, peak memory, exit code, output."""

    seconds: float
    peak_pss_bytes: int
    returncode: int
    stdout: str
    stderr: str


class TreeMemorySampler:
    """Peak of the summed PSS of a process and its descendants, sampled in a thread.

    PSS (proportional set size) counts a page shared by n processes as 1/n in each, so
    a tool's forked workers are not counted twice for what they share with their parent.
    A process still showing the bench's own command line (forked, not yet exec'd) is
    skipped: its pages are the bench's, not the tool's.
    """

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL) -> None:
        self._root = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._own_command = psutil.Process().cmdline()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)
        self._thread.start()

    def _sample(self) -> int:
        try:
            processes = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for process in processes:
            try:
                if process.cmdline() == self._own_command:
                    continue
                total += int(process.memory_full_info().pss)
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self._interval)

    def stop(self) -> int:
        """Stop sampling; the peak in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak


def run_process(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    sample_memory: bool = True,
) -> ProcessRun:
    """Run ``command`` to completion; wall time from start to exit, peak memory sampled.

    Output goes to temporary files, not pipes, so a chatty tool cannot block on a full pipe.
    """
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out,
        tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err,
    ):
        started = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else tool_env(),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        sampler = TreeMemorySampler(process.pid) if sample_memory else None
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        seconds = time.perf_counter() - started
        peak = sampler.stop() if sampler is not None else 0
        out.seek(0)
        err.seek(0)
        return ProcessRun(seconds, peak, returncode, out.read(), err.read())


def check_ok(run: ProcessRun, what: str) -> ProcessRun:
    """``run`` unchanged when it succeeded; otherwise raise with its output tail."""
    if run.returncode != 0:
        tail = (run.stderr or run.stdout)[-2000:]
        raise RuntimeError(f"{what} exited {run.returncode}:\n{tail}")
    return run


def time_calls(function: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` calls of ``function``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples
