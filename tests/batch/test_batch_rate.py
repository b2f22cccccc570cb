"""Acceptance: under a provider rate limit the batch learns it and is rarely answered 429."""

from __future__ import annotations

import asyncio
import json
import shutil
from decimal import Decimal
from pathlib import Path

import batch_support
import pytest
import yaml
from batch_support import FAST, MODEL, charges, write_batch

from musicbind.emulator import media as emulator_media
from musicbind.emulator.server import EmulatorServer
from musicbind.runtime.batch import Batch, BatchProgress
from musicbind.runtime.batch_items import BatchFileError, read_batch_file
from musicbind.runtime.batch_limits import AdaptiveRateLimiter
from musicbind.runtime.polling import PollPolicy

fast_emulator = batch_support.fast_emulator  # fixture

LIMIT = 60  # requests per second the emulator handles
JOBS = 120
FAST_POLL = PollPolicy(initial=0.05, early_max=2.0)


def test_batch_under_a_rate_limit_gets_under_five_percent_429(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmulatorServer(
        seed=5, timing=FAST, faults=f"aigateway.*=rate({LIMIT})", journal=tmp_path / "e.sqlite3"
    ) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        items = read_batch_file(write_batch(tmp_path / "b.jsonl", JOBS))
        seen: list[BatchProgress] = []
        batch = Batch(items, journal=tmp_path / "j.sqlite3", concurrency=8, poll=FAST_POLL)
        report = asyncio.run(batch.arun(seen.append))
        (rule,) = server.emulator.faults.remaining()
        assert report.counts() == {"done": JOBS}
        assert len(charges(server)) == JOBS
    answered_429, requests = int(rule["fired"]), int(rule["seen"])
    assert answered_429 >= 1, "the limit was never reached: the test shows nothing"
    assert answered_429 / requests < 0.05, f"{answered_429} of {requests} requests answered 429"
    assert seen[-1].done == JOBS and seen[-1].running == 0


def test_cost_cap_skips_what_it_cannot_pay_and_sync_run_reports_it(
    fast_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fast_emulator.env().items():
        monkeypatch.setenv(key, value)
    items = read_batch_file(write_batch(tmp_path / "b.jsonl", 10))
    report = Batch(
        items, journal=tmp_path / "j.sqlite3", max_total_cost="0.04", poll=FAST_POLL
    ).run()
    assert report.counts() == {"done": 3, "skipped": 7}
    assert report.spent <= Decimal("0.04")
    assert sum(c.amount for c in charges(fast_emulator)) == Decimal("0.039")
    skipped = [i for i in report.items if i.status == "skipped"]
    assert all("cost cap" in (i.error or "") for i in skipped)
    assert json.loads(json.dumps(report.as_dict()))["counts"]["skipped"] == 7


def test_one_bad_item_never_stops_the_others(
    fast_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fast_emulator.env().items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "b.jsonl"
    lines = [
        {"model": MODEL, "input": {"prompt": "ok", "duration": 10}},
        {"model": MODEL, "input": {"duration": 10}},  # no prompt
        {"model": "aigateway:no-such/model", "input": {"prompt": "x"}},
        {"model": MODEL, "input": {"prompt": "ok too", "duration": 10}},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    report = Batch(read_batch_file(path), journal=tmp_path / "j.sqlite3", poll=FAST_POLL).run()
    assert [i.status for i in report.items] == ["done", "failed", "failed", "done"]
    assert "prompt" in (report.items[1].error or "")
    assert len(fast_emulator.ledger.submissions) == 2


def test_batch_file_problems_are_located_and_nothing_runs(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"model": "fal:x", "input": {}}\n{"model": 3}\nnot json\n')
    with pytest.raises(BatchFileError) as caught:
        read_batch_file(path)
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in caught.value.problems] == ["3"]
    path.write_text('{"model": "fal:x", "input": {}}\n{"model": 3, "input": {}, "extra": 1}\n')
    with pytest.raises(BatchFileError, match=r"b\.jsonl:2: unknown key\(s\) extra"):
        read_batch_file(path)
    yaml_file = tmp_path / "b.yaml"
    yaml_file.write_text("- model: fal:x\n  input: {a: 1}\n- model: fal:y\n  input: [1]\n")
    with pytest.raises(BatchFileError, match=r"b\.yaml:3: 'input' must be a mapping"):
        read_batch_file(yaml_file)


def test_limiter_cuts_on_429_and_waits_out_retry_after() -> None:
    now = [0.0]
    limiter = AdaptiveRateLimiter(clock=lambda: now[0])
    for _ in range(30):
        limiter.observe(200, None)
    limiter.observe(429, 0.5)
    assert limiter.rate == pytest.approx(0.8 * 31)
    assert limiter.reserve() == pytest.approx(0.5)
    now[0] = 10.0
    limiter.observe(200, None)
    assert limiter.rate > 0.8 * 31  # grows again without 429s


def test_local_media_lengths_hold_the_cross_field_rules(
    fast_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative local video is read for its length (12 s): 30 s of music from it is refused."""
    for key, value in fast_emulator.env().items():
        monkeypatch.setenv(key, value)
    clips = tmp_path / "clips"
    clips.mkdir()
    shutil.copy(Path(emulator_media.__file__).parent / "media" / "demo.mp4", clips / "intro.mp4")
    ref = "scenario:model_sonilo-v1-1-video-to-music"
    lines = [
        {"model": ref, "input": {"video": "clips/intro.mp4", "duration": 30}, "id": "too-long"},
        {"model": ref, "input": {"video": "clips/intro.mp4", "duration": 8}, "id": "fits"},
    ]
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(lines))
    report = Batch(read_batch_file(path), journal=tmp_path / "j.sqlite3", poll=FAST_POLL).run()
    assert [(i.label, i.status) for i in report.items] == [("too-long", "failed"), ("fits", "done")]
    assert "segment_within_media" in (report.items[0].error or "")
    assert [s.outcome for s in fast_emulator.ledger.submissions] == ["accepted"]
