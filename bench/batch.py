"""Bench: the batch runner against the emulator: throughput under a rate limit, overhead per job.

``python -m bench.batch [--jobs N] [--limit R] [--out FILE]`` (from the repository root, with
the ``test`` extra). Reported as ratios, never asserted:

* **rate limit**: the emulator handles at most R requests a second (``aigateway.*=rate(R)``);
  the batch, which is not told R, reaches ``requests_per_s / R`` of it, with the share of
  requests answered 429;
* **overhead**: the same N jobs (submit, poll every 50 ms until done) through a bare httpx
  loop of the same concurrency, and through ``Batch`` (validation, journal with fsync,
  claims, limiter); ``overhead_ratio`` is batch time over bare time and ``overhead_ms_per_job``
  the difference per job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer
from musicbind.runtime.batch import Batch
from musicbind.runtime.batch_items import BatchRequest
from musicbind.runtime.polling import PollPolicy

MODEL = "aigateway:sonauto/v2/text-to-music"
CONCURRENCY = 8
POLL_S = 0.05
TIMING = Timing(queue_s=0.02, run_s=0.05)


def _items(count: int, tag: str) -> list[BatchRequest]:
    return [BatchRequest(MODEL, {"prompt": f"{tag} {n}", "duration": 10}) for n in range(count)]


def _batch_seconds(items: list[BatchRequest], journal: Path) -> tuple[float, Batch]:
    batch = Batch(
        items,
        journal=journal,
        concurrency=CONCURRENCY,
        poll=PollPolicy(initial=POLL_S, multiplier=1.0, early_max=POLL_S),
    )
    started = time.perf_counter()
    report = batch.run()
    elapsed = time.perf_counter() - started
    if report.counts() != {"done": len(items)}:
        raise SystemExit(f"bench batch did not finish: {report.counts()}")
    return elapsed, batch


async def _bare_loop(base_url: str, key: str, count: int) -> float:
    """Submit and poll ``count`` jobs with plain httpx, ``CONCURRENCY`` at a time."""
    slots = asyncio.Semaphore(CONCURRENCY)
    headers = {"Authorization": f"Bearer {key}"}

    async def one(client: httpx.AsyncClient, n: int) -> None:
        async with slots:
            body = {"model": MODEL.partition(":")[2], "prompt": f"bare {n}", "duration": 10}
            answer = (await client.post(f"{base_url}/v1/audio/music", json=body)).json()
            while True:
                await asyncio.sleep(POLL_S)
                status = (await client.get(f"{base_url}/v1/jobs/{answer['id']}")).json()
                if status["status"] in ("completed", "failed", "canceled"):
                    return

    started = time.perf_counter()
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        await asyncio.gather(*(one(client, n) for n in range(count)))
    return time.perf_counter() - started


def run(jobs: int, limit: float, work: Path) -> dict[str, Any]:
    """Both measurements; a JSON-ready result."""
    results: dict[str, Any] = {"jobs": jobs, "concurrency": CONCURRENCY, "limit_per_s": limit}
    with EmulatorServer(seed=1, timing=TIMING, journal=work / "emu.sqlite3") as server:
        os.environ.update(server.env())
        key = server.env()["AIGATEWAY_API_KEY"]
        bare = asyncio.run(_bare_loop(server.base_url("aigateway"), key, jobs))
        batch_s, _ = _batch_seconds(_items(jobs, "overhead"), work / "overhead.sqlite3")
        results["overhead"] = {
            "bare_httpx_s": round(bare, 3),
            "batch_s": round(batch_s, 3),
            "overhead_ratio": round(batch_s / bare, 3),
            "overhead_ms_per_job": round((batch_s - bare) / jobs * 1000, 2),
        }
        server.set_faults(f"aigateway.*=rate({limit:g})")
        limited_s, batch = _batch_seconds(_items(jobs, "limited"), work / "limited.sqlite3")
        (rule,) = server.emulator.faults.remaining()
        seen, fired = int(str(rule["seen"])), int(str(rule["fired"]))
        results["rate_limit"] = {
            "seconds": round(limited_s, 3),
            "requests": seen,
            "answered_429": fired,
            "share_429": round(fired / max(seen, 1), 4),
            "requests_per_s": round(seen / limited_s, 2),
            "throughput_ratio": round(seen / limited_s / limit, 3),
            "jobs_per_s": round(jobs / limited_s, 2),
            "learned_rate_per_s": round(batch.limiters["aigateway"].rate or 0.0, 2),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m bench.batch``."""
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--limit", type=float, default=40.0, help="emulator requests per second")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        results = run(args.jobs, args.limit, Path(folder))
    text = json.dumps(results, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
