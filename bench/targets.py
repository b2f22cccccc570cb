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
COLD_COUNT = 1000  # the cold-generation goals' endpoint count
GROWTH_COUNT = 10_000  # growth, memory and check are judged here
MAX_GROWTH = 11.0
MAX_PEAK_MIB = 500
INCREMENTAL_LIMITS = {1000: 1.0, 10_000: 2.0}  # endpoints -> seconds after one change
MAX_CHECK_SECONDS = 0.5
MIN_VS_HAND = 1.0  # validation throughput against the hand-written pydantic model
MAX_CLIENT_IMPORT = 0.1
MAX_PACKAGE_IMPORT = 0.05
OTHER_TOOLS = ("dmcg_default", "dmcg_fast", "openapi_python_client")
LABELS = {
    "dmcg_default": "datamodel-code-generator (default)",
    "dmcg_fast": "datamodel-code-generator (fastest)",
    "openapi_python_client": "openapi-python-client",
}
MISS_NOTES = {
    "check": (
        "`check` trusts the stamps (size, modification time, hash) `generate` and its own "
        "last pass recorded and hashes only the rest, but it still makes one `lstat` per "
        "generated file and one `stat` per document (about 40,000 at 10,000 models) and "
        "parses `_manifest.json` and the stamps file whole; see the phase table. What it "
        "would take: one stamp per output folder for the listing, a binary stamps file."
    ),
    "incremental": (
        "Files whose key and stamp hold are left unread, merged models come back light "
        "from the model cache (generator/registry/build_cache.py), documents by their "
        "recorded hash from the load cache, the snapshot is sharded and the collector "
        "leaves the run's records alone. What remains proportional to the catalogue is "
        "per model and small: the stat of each file, each model's cache look-ups, the "
        "files that list every model (provider `__init__`, client, reference index) and "
        "the manifest (see the phase table)."
    ),
    "cold_opc": (
        "Rendering, ruff and the AST gate already overlap in batches (generator/emit/"
        "pipeline.py) and JSON documents are parsed by the C json module with positions "
        "looked up on demand; see the phase table for what remains."
    ),
    "cold_dmcg": "See the phase table: the same stages as against openapi-python-client.",
    "growth": (
        "No generated module grows with the catalogue but the indexes (the package's ref "
        "table, the provider's MODELS, its reference index: one line per model); see the "
        "phase table at 10,000 for the stage that grows faster than the catalogue."
    ),
    "memory": (
        "Emitted texts are held compressed until written (generator/emit/texts.py) and the "
        "snapshot is built shard by shard; the parent still holds the registry (every "
        "model whole, after a cold merge) and the gate's forked workers copy the pages they "
        "touch. What it would take: write each batch as it passes the gate (to a staging "
        "folder renamed into place), spawned gate workers."
    ),
    "mixed": "",
    "validation_vs_hand": (
        "A valid payload runs no Python of musicbind's (null and boolean refusals are pydantic-"
        "core's, rewording only on failure; media rules only when lengths are given): a "
        "remaining gap is the `model_validate` wrapper of runtime/bases.py, within the noise "
        "of this machine when it is quiet."
    ),
    "validation_vs_jsonschema": "",
    "import_client": (
        "pydantic, httpx, the journals, media probing and the provider adapters are imported "
        "on first use; what remains is the runtime's client, transport and error modules "
        "(their dataclasses) and one method module per model. What it would take: fewer "
        "method modules (a model's methods in its group's module, emitted by "
        "generator/emit/client.py)."
    ),
    "import_package": (
        "What it would take: keep every import but the ref index out of the bindings' "
        "`__init__.py`."
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


def _steady(gen: dict[str, Any], count: int) -> dict[str, Any]:
    found: dict[str, Any] = gen.get("steady_by_count", {}).get(str(count)) or {}
    if not found and gen.get("steady", {}).get("endpoints") == count:
        found = gen["steady"]
    return found


def _generation(gen: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    cold = gen.get("cold", {})
    small, large = COLD_COUNT, GROWTH_COUNT
    at_small = cold.get(str(small), {})
    mine = _median(at_small, "musicbind", "seconds")
    opc = _median(at_small, "openapi_python_client", "seconds")
    dmcg_default = _median(at_small, "dmcg_default", "seconds")
    dmcg_fast = _median(at_small, "dmcg_fast", "seconds")
    phases = _largest_phases(_steady(gen, small), "cold")
    found.append(
        _target(
            "cold_opc",
            f"cold `musicbind generate`, {small:,} endpoints: no slower than openapi-python-client",
            mine if opc else None,
            lambda v: opc is not None and v <= opc,
            f"{_seconds(mine or 0)} ({(mine or 0) / (opc or 1):.2f}x its time)",
            f"openapi-python-client {_seconds(opc)}" if opc else "",
            phases,
        )
    )
    found.append(
        _target(
            "cold_dmcg",
            f"cold `musicbind generate`, {small:,} endpoints: at most half of "
            "datamodel-code-generator with default options",
            mine if dmcg_default else None,
            lambda v: dmcg_default is not None and v <= 0.5 * dmcg_default,
            f"{_seconds(mine or 0)} ({(mine or 0) / (dmcg_default or 1):.2f}x its time)",
            (
                f"datamodel-code-generator default {_seconds(dmcg_default)}, "
                f"fastest {_seconds(dmcg_fast)}"
            )
            if dmcg_default and dmcg_fast
            else "",
            phases,
        )
    )
    at_large = cold.get(str(large), {})
    big = _median(at_large, "musicbind", "seconds")
    found.append(
        _target(
            "growth",
            f"cold `musicbind generate`, {large:,} endpoints: within {MAX_GROWTH:g}x of "
            f"{small:,} (linear growth)",
            big / mine if big and mine else None,
            lambda v: v <= MAX_GROWTH,
            f"{(big or 0) / (mine or 1):.1f}x ({_seconds(big or 0)} vs {_seconds(mine or 0)})",
            _growth_versus(at_small, at_large),
            _largest_phases(_steady(gen, large), "cold"),
        )
    )
    peak = _median(at_large, "musicbind", "peak_pss_bytes")
    found.append(
        _target(
            "memory",
            f"cold `musicbind generate`, {large:,} endpoints: peak memory < "
            f"{MAX_PEAK_MIB} MiB (all processes)",
            peak,
            lambda v: v < MAX_PEAK_MIB * MIB,
            f"{(peak or 0) / MIB:,.0f} MiB",
            ", ".join(
                f"{LABELS.get(t, t)} {value / MIB:,.0f} MiB"
                for t in OTHER_TOOLS
                if (value := _median(at_large, t, "peak_pss_bytes")) is not None
            ),
        )
    )
    for count, limit in INCREMENTAL_LIMITS.items():
        steady = _steady(gen, count)
        incremental = _median(steady, "incremental", "seconds")
        full = _median(cold.get(str(count), {}), "dmcg_fast", "seconds")
        found.append(
            _target(
                "incremental",
                f"`musicbind generate` after one changed document among {count:,}: < {limit:g} s",
                incremental,
                functools.partial(operator.gt, limit),
                _seconds(incremental or 0),
                f"datamodel-code-generator regenerates all: {_seconds(full)}" if full else "",
                _largest_phases(steady, "incremental"),
            )
        )
    steady = _steady(gen, large)
    check = _median(steady, "check", "seconds")
    found.append(
        _target(
            "check",
            f"`musicbind check`, nothing changed, {large:,} endpoints: < {MAX_CHECK_SECONDS:g} s",
            check,
            lambda v: v < MAX_CHECK_SECONDS,
            _seconds(check or 0),
            "",
            _largest_phases(steady, "check"),
        )
    )
    specs = gen.get("specs", {})
    cold_specs = _median(specs, "cold", "seconds")
    alternative = _median(specs, "dmcg_fast_openapi_documents", "seconds")
    found.append(
        _target(
            "mixed",
            f"mixed catalogue (specs/: {specs.get('documents', 0)} documents, "
            f"{len(specs.get('providers', []))} providers): cold generation measured",
            cold_specs,
            lambda v: True,
            _seconds(cold_specs or 0),
            f"datamodel-code-generator (fastest) on its {specs.get('openapi_documents', 0)} "
            f"OpenAPI documents: {_seconds(alternative)}"
            if alternative
            else "",
        )
    )
    return found


def _growth_versus(small: dict[str, Any], large: dict[str, Any]) -> str:
    """The other tools' growth from the small to the large count."""
    parts = []
    for tool in OTHER_TOOLS:
        a, b = _median(small, tool, "seconds"), _median(large, tool, "seconds")
        if a and b:
            parts.append(f"{LABELS.get(tool, tool)} {b / a:.1f}x")
    return ", ".join(parts)


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
                    f"validation, `{ref}`: >= {MIN_VS_HAND:g}x the hand-written pydantic model",
                    mine / hand,
                    lambda v: v >= MIN_VS_HAND,
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
    client = _median(imports, "generated_fal_client", "seconds")
    package = _median(imports, "generated", "seconds")
    fal = _median(imports, "fal_client", "seconds")
    scenario = _median(imports, "scenario_sdk", "seconds")
    versus = ", ".join(
        f"{name}: {_seconds(value)}"
        for name, value in (("import fal_client", fal), ("import scenario_sdk", scenario))
        if value is not None
    )
    return [
        _target(
            "import_client",
            "importing a generated client (`from musicbind.generated.fal.client import "
            f"FalClient`): < {MAX_CLIENT_IMPORT * 1000:.0f} ms",
            client,
            lambda v: v < MAX_CLIENT_IMPORT,
            _seconds(client or 0),
            versus,
        ),
        _target(
            "import_package",
            "`import musicbind.generated` (every provider's refs listed): "
            f"< {MAX_PACKAGE_IMPORT * 1000:.0f} ms",
            package,
            lambda v: v < MAX_PACKAGE_IMPORT,
            _seconds(package or 0),
            versus,
        ),
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
