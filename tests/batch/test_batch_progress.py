"""The batch's progress display: a rewritten line on a terminal, throttled plain lines in a log."""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from musicbind.commands.batch import ProgressDisplay, progress_line
from musicbind.runtime.batch import BatchProgress


def _progress(done: int, running: int, eta: float | None = None) -> BatchProgress:
    return BatchProgress(
        total=10,
        done=done,
        failed=1 if done > 5 else 0,
        uncertain=0,
        skipped=0,
        running=running,
        timed_out=0,
        spent=Decimal("0.1300"),
        currency="USD",
        elapsed_s=4.0,
        eta_s=eta,
    )


def test_the_line_says_done_running_failed_spend_and_eta() -> None:
    assert progress_line(_progress(6, 3, eta=125)) == (
        "batch 6/10 done, 3 running, 1 failed, spent 0.13 USD, eta 2m"
    )


def test_a_terminal_gets_one_rewritten_line() -> None:
    out = io.StringIO()
    display = ProgressDisplay(Console(file=out), interactive=True, interval=0)
    for done in range(3):
        display(_progress(done, 2))
    display.close()
    text = out.getvalue()
    assert text.count("\r\x1b[2K") == 3 and text.endswith("\n") and text.count("\n") == 1


def test_a_log_gets_plain_lines_no_more_often_than_the_interval() -> None:
    out = io.StringIO()
    display = ProgressDisplay(Console(file=out), interactive=False, interval=3600)
    for done in range(5):
        display(_progress(done, 2))
    display.close()
    lines = out.getvalue().splitlines()
    assert lines == [progress_line(_progress(0, 2)), progress_line(_progress(4, 2))]
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()
