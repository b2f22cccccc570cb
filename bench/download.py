"""Bench: peak memory while downloading a large result, musicbind against plain httpx.

A tiny HTTP server in this process streams ``size`` bytes (one reused 1 MiB buffer, with
Content-Length) on loopback; nothing big is kept on disk or in memory on the server side.
Each download runs in its own process (:mod:`bench.download_child`), which reports its
resident memory above its own baseline.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.measure import check_ok, run_process, summary, tool_env

CHUNK = b"\x00\x11\x22\x33" * (256 * 1024)  # 1 MiB
MODES = ("musicbind", "httpx_stream", "httpx_read")
LABELS = {
    "musicbind": "musicbind runtime.download.download_file (Job.download)",
    "httpx_stream": "hand-written httpx streaming loop",
    "httpx_read": "httpx.get(url).content, then write (what a dict-returning SDK leaves you)",
}


class _LargeBody(BaseHTTPRequestHandler):
    """GET /<bytes> answers that many bytes."""

    def do_GET(self) -> None:
        try:
            size = int(self.path.strip("/"))
        except ValueError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        view = memoryview(CHUNK)
        left = size
        while left > 0:
            step = min(left, len(CHUNK))
            self.wfile.write(view[:step])
            left -= step

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def run(root: Path, work: Path, size: int, runs: int) -> dict[str, Any]:
    """The download section: peak RSS above baseline and seconds per mode."""
    work.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LargeBody)
    thread = threading.Thread(target=server.serve_forever, name="bench-large-body", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{size}"
    env = tool_env({"PYTHONPATH": str(root)})
    raw: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
    try:
        for round_index in range(runs):
            shift = round_index % len(MODES)
            for mode in MODES[shift:] + MODES[:shift]:
                command = [
                    sys.executable,
                    "-m",
                    "bench.download_child",
                    mode,
                    url,
                    str(work / mode),
                    str(size * 2),
                ]
                done = check_ok(
                    run_process(command, cwd=root, env=env, sample_memory=False), f"download {mode}"
                )
                record = json.loads(done.stdout.strip().splitlines()[-1])
                if record["bytes"] != size:
                    raise RuntimeError(f"download {mode}: {record['bytes']} of {size} bytes")
                raw[mode].append(record)
    finally:
        server.shutdown()
        server.server_close()
    modes = {}
    for mode, records in raw.items():
        modes[mode] = {
            "above_baseline_bytes": summary(
                [r["peak_rss_bytes"] - r["baseline_rss_bytes"] for r in records]
            ),
            "baseline_rss_bytes": summary([r["baseline_rss_bytes"] for r in records]),
            "seconds": summary([r["seconds"] for r in records]),
            "peak_reset": all(r["peak_reset"] for r in records),
        }
    return {"bytes": size, "labels": LABELS, "modes": modes}
