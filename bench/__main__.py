"""Bench: `python -m bench [--quick] [--only SECTION,...] [--counts N,...] [--keep]`.

Run by `nox -s bench`.

The full run writes ``bench/results.json`` and ``docs/benchmarks.md`` (plots in
``docs/benchmarks/``). ``--quick`` is a smoke run (few sizes, single runs) written to
``bench/out/`` instead, so it never replaces the published numbers. ``--only`` runs some
sections and keeps the others from the existing results file. Run from the repository root.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import download, generation, report, startup, targets, transport, validation
from bench.environment import describe, load_average
from bench.plan import FULL, QUICK, Plan

SECTIONS = ("startup", "validation", "transport", "download", "generation")
ROOT = Path(__file__).resolve().parent.parent


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sections(plan: Plan, work: Path) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "startup": lambda: startup.run(ROOT, plan.startup_runs),
        "validation": lambda: validation.run(
            ROOT,
            work / "validation",
            plan.payloads,
            plan.validation_rounds,
            (plan.cli_runs, plan.cli_payloads),
        ),
        "transport": lambda: {
            "polling": transport.polling(
                plan.poll_job_seconds, plan.realtime_job_seconds, work / "polling"
            ),
            "overhead": transport.overhead(
                ROOT, work / "overhead", plan.overhead_calls, plan.overhead_rounds
            ),
        },
        "download": lambda: download.run(
            ROOT, work / "download", plan.download_bytes, plan.download_runs
        ),
        "generation": lambda: generation.run(ROOT, work / "generation", plan, _log),
    }


def _outputs(quick: bool) -> tuple[Path, Path]:
    """(results.json, benchmarks.md) for this kind of run."""
    if quick:
        out = ROOT / "bench" / "out"
        return out / "results.json", out / "benchmarks.md"
    return ROOT / "bench" / "results.json", ROOT / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    """Run the sections, write the results file and the page; 0 unless a section failed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, written to bench/out/")
    parser.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument(
        "--counts", help="comma-separated endpoint counts for generation (e.g. 10,100,1000)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.counts:
        try:
            plan = plan.with_counts(tuple(int(c) for c in args.counts.split(",")))
        except ValueError:
            parser.error(f"--counts takes whole numbers separated by commas, not {args.counts!r}")
    chosen = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    results_path, page_path = _outputs(args.quick)
    previous: dict[str, Any] = {}
    if args.only and results_path.is_file():
        previous = json.loads(results_path.read_text(encoding="utf-8"))
    sections: dict[str, Any] = dict(previous.get("sections", {}))
    durations: dict[str, float] = dict(previous.get("section_seconds", {}))
    load_at_start = load_average()
    work = Path(tempfile.mkdtemp(prefix="musicbind-bench-"))
    started = time.perf_counter()
    failed: list[str] = []
    try:
        runners = _sections(plan, work)
        for name in chosen:
            _log(f"bench: {name} ...")
            began = time.perf_counter()
            try:
                sections[name] = runners[name]()
            except Exception as error:  # a broken section must not lose the others
                failed.append(name)
                sections[name] = {"error": f"{type(error).__name__}: {error}"}
                _log(f"bench: {name} FAILED: {error}")
            durations[name] = time.perf_counter() - began
            _log(f"bench: {name} done in {durations[name]:.0f} s")
    finally:
        if args.keep:
            _log(f"bench: work folder kept at {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    results: dict[str, Any] = {
        "format": 1,
        "plan": plan.name,
        "seconds": sum(durations.values()),
        "section_seconds": durations,
        "environment": {**describe(ROOT), "load_average_start": load_at_start},
        "sections": {name: sections[name] for name in SECTIONS if name in sections},
    }
    found = targets.evaluate(results)
    results["targets"] = targets.as_records(found)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    page_path.parent.mkdir(parents=True, exist_ok=True)
    page_path.write_text(report.render(results, found, page_path.parent), encoding="utf-8")
    _log(f"bench: {time.perf_counter() - started:.0f} s; wrote {results_path} and {page_path}")
    for t in found:
        verdict = {True: "pass", False: "MISS", None: "not measured"}[t.passed]
        _log(f"  {verdict:>12}  {t.target}: {t.measured}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
