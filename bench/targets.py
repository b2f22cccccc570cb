"""Bench: the issue's targets, checked against a results file (pass, miss or not measured).

Each target names its measured value and, where there is one, the alternative measured in
the same run. A miss carries the explanation in :data:`MISS_NOTES` (what it would take).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench.measure import MIB

POLL_LENGTH_FOR_REQUESTS = "30"
MAX_POLL_REQUESTS = 20
MISS_NOTES = {
    "check": (
        "What it would take: less work on the fast path before the answer: compare the "
        "sizes and modification times recorded in `_manifest.json` before hashing every "
        "input and output file."
    ),
    "incremental": (
        "One changed document still costs work proportional to all the documents. What it "
        "would take: keep each phase proportional to the change: reuse the loaded and "
        "merged registry records of unchanged documents instead of rebuilding the registry "
        "from all of them, and update the registry snapshot instead of re-serialising it."
    ),
    "cold": (
        "musicbind calls datamodel-code-generator once per model "
        "(`generator/emit/pydantic_models.py`: one `generate()`, so one parser run, per "
        "model, where the alternatives parse one document), spread over the two cores, then "
        "runs the AST safety gate over every module serially in the main process. What it "
        "would take: render many models per `generate()` call (one document with many "
        "schemas, split afterwards by class) and run the AST gate in the worker that "
        "rendered the module."
    ),
    "validation_vs_hand": (
        "The generated Input runs Python-level model validators that the hand-written model "
        "does not: where the overlay states a cross-field rule, the generated "
        "`mode='after'` hook runs on every validation, also when no media length is given "
        "and the rule is skipped; models with numeric allowed values also carry the "
        "`mode='before'` boolean guard (`runtime/bases.py`). The what-if figure (the same "
        "generated fields and config without those validators) shows what removing them "
        "reaches. What it would take: run the cross-field rule only when a media length is "
        "known (e.g. a subclass carrying the rule, chosen when the validation context has "
        "one), so the common call does not pay for it."
    ),
    "validation_vs_jsonschema": "",
    "import_generated": (
        "What it would take: keep every import but the ref index out of generated/__init__.py."
    ),
    "poll_delay": (
        "What it would take: a smaller POLL_LAG_FRACTION or POLL_MAX_INTERVAL in "
        "runtime/polling.py."
    ),
    "poll_requests": (
        "What it would take: a larger POLL_MULTIPLIER or POLL_EARLY_MAX_INTERVAL in "
        "runtime/polling.py (fewer, later polls)."
    ),
    "download": (
        "What it would take: a smaller read size in runtime/download.py (the body is "
        "streamed; only the chunk in hand should be resident)."
    ),
    "validate_cli": (
        "What it would take: parse JSON Lines without per-value position tracking first, "
        "and locate values only for payloads that fail."
    ),
}


@dataclass(frozen=True, slots=True)
class Target:
    """One target with its measured value."""

    key: str
    target: str
    measured: str
    versus: str
    passed: bool | None  # None: not measured in this run
    note: str = ""


def _median(record: dict[str, Any] | None, *path: str) -> float | None:
    node: Any = record
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if isinstance(node, dict) and "median" in node:
        return float(node["median"])
    return None


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _target(
    key: str,
    target: str,
    value: float | None,
    ok: Callable[[float], bool],
    text: str,
    vs: str,
    evidence: str = "",
) -> Target:
    if value is None:
        return Target(key, target, "not measured", vs, None, "see 'Not measured' below")
    passed = ok(value)
    note = " ".join(part for part in (evidence, MISS_NOTES.get(key, "")) if part)
    return Target(key, target, text, vs, passed, "" if passed else note)


def _largest_phases(steady: dict[str, Any], kind: str) -> str:
    """``Largest phases in this run: ...`` from the phase breakdown of ``kind``."""
    record = steady.get("phases", {}).get(kind, {})
    phases = record.get("phases") if isinstance(record, dict) else None
    if not phases:
        return ""
    top = sorted(phases.items(), key=lambda kv: -kv[1])[:3]
    listed = ", ".join(f"{name} {_seconds(seconds)}" for name, seconds in top)
    return (
        f"Largest phases in this run (of {_seconds(record['total_seconds'])} in-process, "
        f"see the phase table): {listed}."
    )


def _generation(gen: dict[str, Any]) -> list[Target]:
    steady = gen.get("steady", {})
    count = int(steady.get("endpoints") or 0)
    found: list[Target] = []
    check = _median(steady, "check", "seconds")
    dmcg_check = _median(steady, "dmcg_check", "seconds")
    found.append(
        _target(
            "check",
            f"`musicbind check`, nothing changed, {count:,} endpoints: < 0.5 s",
            check,
            lambda v: v < 0.5,
            _seconds(check or 0),
            f"datamodel-code-generator --check: {_seconds(dmcg_check)}" if dmcg_check else "",
            _largest_phases(steady, "check"),
        )
    )
    cold = gen.get("cold", {}).get(str(count), {})
    dmcg_fast = _median(cold, "dmcg_fast", "seconds")
    dmcg_default = _median(cold, "dmcg_default", "seconds")
    incremental = _median(steady, "incremental", "seconds")
    found.append(
        _target(
            "incremental",
            f"`musicbind generate` after one change among {count:,}: < 2 s",
            incremental,
            lambda v: v < 2.0,
            _seconds(incremental or 0),
            f"datamodel-code-generator regenerates all: {_seconds(dmcg_fast)}" if dmcg_fast else "",
            _largest_phases(steady, "incremental"),
        )
    )
    mine = _median(cold, "musicbind", "seconds")
    versus = ""
    if dmcg_fast and dmcg_default:
        versus = (
            f"datamodel-code-generator fastest {_seconds(dmcg_fast)}, "
            f"default {_seconds(dmcg_default)}"
        )
    found.append(
        _target(
            "cold",
            f"cold `musicbind generate`, {count:,} endpoints: no slower than "
            "datamodel-code-generator alone (fastest options)",
            mine if dmcg_fast else None,
            lambda v: dmcg_fast is not None and v <= dmcg_fast,
            f"{_seconds(mine or 0)} ({(mine or 0) / (dmcg_fast or 1):.2f}x its time)",
            versus,
            _largest_phases(steady, "cold"),
        )
    )
    return found


def _validation(val: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    for ref, model in val.get("models", {}).items():
        rates = model.get("validators", {})
        mine = _median(rates, "generated", "per_second")
        hand = _median(rates, "hand_written", "per_second")
        schema = _median(rates, "jsonschema", "per_second")
        if mine is None:
            continue
        if hand:
            what_if = _median(rates, "generated_unguarded", "per_second")
            extra = (
                f"; what-if without its model validators: {what_if / hand:.2f}x" if what_if else ""
            )
            found.append(
                _target(
                    "validation_vs_hand",
                    f"validation, `{ref}`: >= 0.8x the hand-written pydantic model",
                    mine / hand,
                    lambda v: v >= 0.8,
                    f"{mine / hand:.2f}x ({mine:,.0f} vs {hand:,.0f} payloads/s{extra})",
                    f"hand-written: {hand:,.0f}/s",
                )
            )
        if schema:
            found.append(
                _target(
                    "validation_vs_jsonschema",
                    f"validation, `{ref}`: >= 5x jsonschema",
                    mine / schema,
                    lambda v: v >= 5.0,
                    f"{mine / schema:.1f}x ({mine:,.0f} vs {schema:,.0f} payloads/s)",
                    f"jsonschema: {schema:,.0f}/s",
                )
            )
    cli = val.get("cli", {})
    beyond = cli.get("musicbind", {}).get("beyond_startup_seconds")
    other = cli.get("jsonschema_script", {}).get("beyond_startup_seconds")
    found.append(
        _target(
            "validate_cli",
            f"`musicbind validate` on {cli.get('payloads', 0):,} payloads: well under 1 s "
            "beyond start-up (issue 5)",
            beyond,
            lambda v: v < 1.0,
            _seconds(beyond or 0),
            f"jsonschema script: {_seconds(other)}" if other is not None else "",
        )
    )
    return found


def _startup(start: dict[str, Any]) -> list[Target]:
    imports = start.get("imports", {})
    mine = _median(imports, "generated", "seconds")
    fal = _median(imports, "fal_client", "seconds")
    scenario = _median(imports, "scenario_sdk", "seconds")
    versus = ", ".join(
        f"{name}: {_seconds(value)}"
        for name, value in (("import fal_client", fal), ("import scenario_sdk", scenario))
        if value is not None
    )
    return [
        _target(
            "import_generated",
            "`import generated` (every provider's refs listed): < 100 ms",
            mine,
            lambda v: v < 0.1,
            _seconds(mine or 0),
            versus,
        )
    ]


def _transport(transport: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    jobs = transport.get("polling", {}).get("simulated", {})
    for length, job in jobs.items():
        seconds = float(job["seconds"])
        allowed = max(2.0, 0.1 * seconds)
        delay = job["musicbind"]["detection_delay_s"]
        fixed = job["fixed_0.1s"]
        found.append(
            _target(
                "poll_delay",
                f"polling, {length} s job: detected within {allowed:g} s of completion",
                delay,
                functools.partial(operator.ge, allowed),
                f"{delay:.2f} s ({job['musicbind']['status_requests']} status requests)",
                f"fixed 0.1 s poller: {fixed['detection_delay_s']:.2f} s, "
                f"{fixed['status_requests']} requests",
            )
        )
        if length == POLL_LENGTH_FOR_REQUESTS:
            requests = job["musicbind"]["status_requests"]
            found.append(
                _target(
                    "poll_requests",
                    f"polling, {length} s job: <= {MAX_POLL_REQUESTS} status requests",
                    float(requests),
                    lambda v: v <= MAX_POLL_REQUESTS,
                    str(requests),
                    f"fixed 0.1 s poller: {fixed['status_requests']}",
                )
            )
    return found


def _download(download: dict[str, Any]) -> list[Target]:
    modes = download.get("modes", {})
    record = modes.get("musicbind")
    size = download.get("bytes", 0)
    peak = float(record["above_baseline_bytes"]["max"]) if record else None
    naive = _median(modes.get("httpx_read"), "above_baseline_bytes")
    return [
        _target(
            "download",
            f"downloading {size / MIB:,.0f} MiB: peak RSS < 64 MiB above the baseline",
            peak,
            lambda v: v < 64 * MIB,
            f"{(peak or 0) / MIB:.1f} MiB (worst of {record['seconds']['runs'] if record else 0})",
            f"httpx.get().content: {naive / MIB:,.0f} MiB" if naive else "",
        )
    ]


def evaluate(results: dict[str, Any]) -> list[Target]:
    """Every target, in the issue's order."""
    sections = results.get("sections", {})
    found: list[Target] = []
    found += _generation(sections.get("generation", {}))
    found += _validation(sections.get("validation", {}))
    found += _startup(sections.get("startup", {}))
    found += _transport(sections.get("transport", {}))
    found += _download(sections.get("download", {}))
    return found


def as_records(targets: list[Target]) -> list[dict[str, Any]]:
    """JSON-ready records."""
    return [asdict(t) for t in targets]
