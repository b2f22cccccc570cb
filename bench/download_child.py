"""Bench: one download in a fresh process, reporting its resident memory above the baseline.

    python -m bench.download_child MODE URL DIRECTORY MAX_BYTES

MODE ``musicbind`` uses ``runtime.download.download_file`` (what ``Job.download`` calls),
``httpx_stream`` a hand-written streaming loop (the practical limit), ``httpx_read`` what
a dict-returning SDK leaves you to write: ``httpx.get(url).content`` then a file write.
The baseline is the resident set once everything is imported; the peak is the high-water
mark after it was reset (``/proc/self/clear_refs``), or the lifetime peak where that fails.
Prints one JSON object: baseline, peak, bytes written, seconds.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import httpx

from musicbind.runtime.download import download_file
from musicbind.runtime.http import ErrorContext
from musicbind.runtime.providers.base import FileRef
from musicbind.runtime.transport import Transport

CHUNK = 1024 * 1024
PROVIDER_ORIGIN = "https://queue.fal.run"  # never contacted


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def _musicbind(url: str, directory: Path, max_bytes: int) -> Path:
    # Results live on a CDN, not the provider's origin: no credentials go with them.
    transport = Transport(provider="fal", base_url=PROVIDER_ORIGIN, auth=None)
    try:
        ref = FileRef(url=url, name_hint="result.bin", content_type="application/octet-stream")
        return download_file(
            transport,
            ref,
            directory,
            fallback_name="result",
            ctx=ErrorContext("fal"),
            max_bytes=max_bytes,
        )
    finally:
        transport.close()


def _httpx_stream(url: str, directory: Path) -> Path:
    target = directory / "stream.bin"
    with httpx.stream("GET", url, timeout=60.0) as response, target.open("wb") as out:
        response.raise_for_status()
        for chunk in response.iter_raw(CHUNK):
            out.write(chunk)
    return target


def _httpx_read(url: str, directory: Path) -> Path:
    target = directory / "read.bin"
    response = httpx.get(url, timeout=60.0)
    response.raise_for_status()
    target.write_bytes(response.content)
    return target


def main(argv: list[str]) -> int:
    """Download once and print the measurement as JSON."""
    mode, url, directory, max_bytes = argv[0], argv[1], Path(argv[2]), int(argv[3])
    directory.mkdir(parents=True, exist_ok=True)
    baseline_kib = _status_kib("VmRSS")
    reset = _reset_peak()
    started = time.perf_counter()
    if mode == "musicbind":
        path = _musicbind(url, directory, max_bytes)
    elif mode == "httpx_stream":
        path = _httpx_stream(url, directory)
    else:
        path = _httpx_read(url, directory)
    seconds = time.perf_counter() - started
    peak_kib = _status_kib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    size = path.stat().st_size
    path.unlink()
    print(
        json.dumps(
            {
                "mode": mode,
                "baseline_rss_bytes": baseline_kib * 1024,
                "peak_rss_bytes": peak_kib * 1024,
                "peak_reset": reset,
                "bytes": size,
                "seconds": seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
