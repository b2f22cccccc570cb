"""Bench: results.json -> the markdown page and its PNG plots (matplotlib, Agg backend)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from bench.generation import LABELS as TOOL_LABELS
from bench.generation import TOOLS
from bench.measure import MIB
from bench.targets import Target

PLOTS = "benchmarks"  # folder next to the markdown page
Summary = dict[str, Any]


def seconds_text(value: float) -> str:
    """A duration for a table cell."""
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms" if value < 0.1 else f"{value * 1e3:.0f} ms"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def mib_text(value: float) -> str:
    """Bytes as MiB for a table cell."""
    return f"{value / MIB:,.1f} MiB" if value < 100 * MIB else f"{value / MIB:,.0f} MiB"


def rate_text(value: float) -> str:
    """Payloads per second for a table cell."""
    return f"{value:,.0f}/s"


def cell(record: Summary | None, text: Callable[[float], str] = seconds_text) -> str:
    """``median [min–max]`` (just the value for a single run)."""
    if not record or "median" not in record:
        return "—"
    if record.get("runs", 1) <= 1:
        return text(record["median"])
    return f"{text(record['median'])} [{text(record['min'])}–{text(record['max'])}]"


def times(top: float | None, bottom: float | None) -> str:
    """``top / bottom`` as ``1.23x`` (— when either is missing)."""
    if not top or not bottom:
        return "—"
    value = top / bottom
    return f"{value:.2f}x" if value < 100 else f"{value:,.0f}x"


def _get(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def median(record: Summary | None) -> float | None:
    """The median of a summary, or None."""
    return float(record["median"]) if record and "median" in record else None


def _median(record: Any, *path: str) -> float | None:
    found = _get(record, *path)
    return float(found["median"]) if isinstance(found, dict) and "median" in found else None


# -- plots ---------------------------------------------------------------------------------


def _plain_number(value: float, _position: int) -> str:
    """Tick labels as plain numbers (``300``, ``0.5``, ``200k``), not powers of ten."""
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:g}"


def plot_generation(gen: dict[str, Any], folder: Path, metric: str, name: str) -> str | None:
    """Time (or peak memory) against endpoint count, log scales, min–max as error bars."""
    cold = gen.get("cold", {})
    counts = sorted(int(c) for c in cold)
    if not counts:
        return None
    scale = 1.0 if metric == "seconds" else 1 / MIB
    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=110)
    for tool in TOOLS:
        xs, ys, low, high = [], [], [], []
        for count in counts:
            record = _get(cold, str(count), tool, metric)
            if record:
                xs.append(count)
                ys.append(record["median"] * scale)
                low.append((record["median"] - record["min"]) * scale)
                high.append((record["max"] - record["median"]) * scale)
        if xs:
            axes.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, label=TOOL_LABELS[tool])
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(_plain_number))
    axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(FuncFormatter(_plain_number))
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("fal-style endpoints")
    axes.set_ylabel("wall time, s" if metric == "seconds" else "peak memory (PSS), MiB")
    axes.set_title(
        "Cold generation time (median, min–max)"
        if metric == "seconds"
        else "Cold generation peak memory (median, min–max)"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    figure.savefig(folder / name)
    plt.close(figure)
    return f"{PLOTS}/{name}"


def plot_validation(val: dict[str, Any], folder: Path, labels: dict[str, str]) -> str | None:
    """Payloads per second, one group of horizontal bars per model."""
    models = val.get("models", {})
    if not models:
        return None
    rows = sum(len(m["validators"]) for m in models.values()) + len(models)
    figure, axes = plt.subplots(figsize=(8, 0.3 * rows + 1.4), dpi=110)
    position = 0
    ticks, names = [], []
    for ref, model in models.items():
        for key, record in model["validators"].items():
            summary = record["per_second"]
            colour = "tab:blue" if key.startswith("generated") else "tab:gray"
            if key.endswith("unguarded"):
                colour = "tab:cyan"
            axes.barh(
                position,
                summary["median"],
                xerr=[[summary["median"] - summary["min"]], [summary["max"] - summary["median"]]],
                color=colour,
                capsize=2,
            )
            ticks.append(position)
            names.append(f"{ref.split(':', 1)[0]}: {labels.get(key, key)}")
            position += 1
        position += 1
    axes.set_yticks(ticks, names, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("valid payloads per second (median, min–max)")
    axes.xaxis.set_major_formatter(FuncFormatter(_plain_number))
    axes.set_title("Validation throughput (blue: generated; cyan: what-if; grey: others)")
    axes.grid(True, axis="x", which="both", alpha=0.3)
    figure.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    figure.savefig(folder / "validation_throughput.png")
    plt.close(figure)
    return f"{PLOTS}/validation_throughput.png"


def plot_polling(transport: dict[str, Any], folder: Path) -> str | None:
    """Status requests per job length, generated client against the fixed 0.1 s poller."""
    jobs = _get(transport, "polling", "simulated") or {}
    if not jobs:
        return None
    lengths = sorted(jobs, key=float)
    xs = [float(x) for x in lengths]
    figure, axes = plt.subplots(figsize=(7, 4), dpi=110)
    for key, label in (("musicbind", "musicbind Job.wait"), ("fixed_0.1s", "fixed 0.1 s poller")):
        axes.plot(xs, [jobs[x][key]["status_requests"] for x in lengths], marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.xaxis.set_major_formatter(FuncFormatter(_plain_number))
    axes.yaxis.set_major_formatter(FuncFormatter(_plain_number))
    axes.set_xlabel("simulated job length, s")
    axes.set_ylabel("status requests per job")
    axes.set_title("Polling cost")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    figure.savefig(folder / "polling_requests.png")
    plt.close(figure)
    return f"{PLOTS}/polling_requests.png"


# -- page sections ----------------------------------------------------------------------------


def _targets(targets: list[Target]) -> list[str]:
    lines = [
        "## Targets",
        "",
        "| target | measured | alternative, same run | result |",
        "|---|---|---|---|",
    ]
    for t in targets:
        result = {True: "**pass**", False: "**MISS**", None: "not measured"}[t.passed]
        lines.append(f"| {t.target} | {t.measured} | {t.versus or '—'} | {result} |")
    misses = [t for t in targets if t.passed is False and t.note]
    if misses:
        lines += ["", "Misses, and what it would take:", ""]
        seen: set[str] = set()
        for t in misses:
            if t.key not in seen:
                seen.add(t.key)
                lines.append(f"- **{t.target}**: {t.note}")
    return lines


def _environment(results: dict[str, Any]) -> list[str]:
    env = results.get("environment", {})
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    memory = env.get("memory_bytes")
    commit = env.get("git_commit") or "?"
    dirty = " (with uncommitted changes)" if env.get("git_dirty") else ""
    return [
        "## Environment",
        "",
        "| | |",
        "|---|---|",
        f"| date | {env.get('date')} |",
        f"| plan | {results.get('plan')} (whole run {seconds_text(results.get('seconds', 0))}) |",
        f"| machine | {env.get('cpu')}, {env.get('cpu_count')} cores, "
        f"{(memory or 0) / 1024**3:.1f} GiB |",
        f"| system | {env.get('platform')}, {env.get('implementation')} {env.get('python')} |",
        f"| revision | `{commit[:12]}`{dirty} |",
        f"| load average (1 min) at start / end | {env.get('load_average_start')} / "
        f"{env.get('load_average_end')} (2 cores: above ~0.5 at start, something else was "
        "running) |",
        f"| packages | {packages} |",
    ]


def _generation(gen: dict[str, Any], folder: Path) -> list[str]:
    if not gen:
        return []
    lines = ["## Generation", ""]
    for metric, name in (
        ("seconds", "generation_time.png"),
        ("peak_pss_bytes", "generation_memory.png"),
    ):
        picture = plot_generation(gen, folder, metric, name)
        if picture:
            lines += [f"![{metric}]({picture})", ""]
    lines += [
        "Cold runs, one process each, same endpoints: musicbind reads one fal queue document "
        "per endpoint; the others read the same endpoints as one OpenAPI document. Cells: "
        "median [min–max]; `Nx` after an alternative = its median ÷ musicbind's "
        "(above 1: musicbind is faster / smaller).",
        "",
    ]
    others = [t for t in TOOLS if t != "musicbind"]
    for metric, text in (("seconds", seconds_text), ("peak_pss_bytes", mib_text)):
        title = "wall time" if metric == "seconds" else "peak memory (PSS of all its processes)"
        header = " | ".join(TOOL_LABELS[t] for t in TOOLS)
        lines += [f"**Cold generation, {title}**", "", f"| endpoints | {header} |"]
        lines.append("|---" * (len(TOOLS) + 1) + "|")
        for count, tools in sorted(gen.get("cold", {}).items(), key=lambda kv: int(kv[0])):
            mine = _median(tools, "musicbind", metric)
            cells = [cell(_get(tools, "musicbind", metric), text)]
            for tool in others:
                record = _get(tools, tool, metric)
                errors = _get(tools, tool, "errors")
                if record:
                    cells.append(f"{cell(record, text)} · {times(record['median'], mine)}")
                else:
                    cells.append("failed: " + (errors or ["?"])[0][:80].replace("\n", " "))
            lines.append(f"| {int(count):,} | " + " | ".join(cells) + " |")
        lines.append("")
    discarded = gen.get("runs_discarded_for_generator_edits")
    if discarded:
        lines += [
            f"{discarded} musicbind run(s) were discarded and repeated because generator/ "
            "changed while they ran (someone was editing it on this machine).",
            "",
        ]
    by_count = gen.get("steady_by_count") or {
        str(gen.get("steady", {}).get("endpoints")): gen.get("steady", {})
    }
    for steady in by_count.values():
        lines += _steady_tables(gen, steady)
    specs = gen.get("specs", {})
    if specs:
        alternative = _get(specs, "dmcg_fast_openapi_documents", "seconds")
        kinds = ", ".join(f"{n} {k}" for k, n in specs.get("kinds", {}).items())
        providers = ", ".join(specs.get("providers", []))
        lines += [
            f"**Mixed catalogue: specs/ ({specs.get('documents')} documents: {kinds}; "
            f"providers {providers})**",
            "",
            "| case | musicbind | datamodel-code-generator (fastest) on the "
            f"{specs.get('openapi_documents', '?')} OpenAPI documents | alternative ÷ musicbind |",
            "|---|---|---|---|",
        ]
        cases = (("cold", "cold"), ("nothing changed", "noop_generate"), ("`check`", "check"))
        for label, key in cases:
            mine = _get(specs, key, "seconds")
            lines.append(
                f"| {label} | {cell(mine)} | {cell(alternative)} | "
                f"{times(median(alternative), median(mine))} |"
            )
        lines.append("")
    return lines


def _steady_tables(gen: dict[str, Any], steady: dict[str, Any]) -> list[str]:
    """check / no-op / one change at one endpoint count, with the phase table."""
    lines: list[str] = []
    count = steady.get("endpoints")
    if steady and count:
        full = _get(gen, "cold", str(count), "dmcg_fast", "seconds")
        regenerate = "datamodel-code-generator regenerates everything"
        rows = [
            (
                "`musicbind check`, nothing changed",
                "check",
                "`datamodel-codegen --check`",
                _get(steady, "dmcg_check", "seconds"),
            ),
            ("`musicbind generate`, nothing changed", "noop_generate", regenerate, full),
            ("`musicbind generate`, one document changed", "incremental", regenerate, full),
        ]
        lines += [
            f"**{count:,} endpoints, after a cold run**",
            "",
            "| case | musicbind | alternative | alternative's time | alternative ÷ musicbind |",
            "|---|---|---|---|---|",
        ]
        for label, key, other, record in rows:
            mine = _get(steady, key, "seconds")
            lines.append(
                f"| {label} | {cell(mine)} | {other} (fastest options) | {cell(record)} | "
                f"{times(median(record), median(mine))} |"
            )
        lines += _phase_table(steady.get("phases", {}), count)
        written = steady.get("incremental_files_written")
        lines += [
            "",
            f"Files rewritten by each incremental run: {written}; `check` right after: exit "
            f"{steady.get('check_after_incremental_exit')}.",
            "",
        ]
    return lines


def _phase_table(phases: dict[str, Any], count: int) -> list[str]:
    """Seconds per pipeline phase for the cold, one-change and check runs."""
    runs = {k: v for k, v in phases.items() if isinstance(v, dict) and "phases" in v}
    if not runs:
        return []
    names: list[str] = []
    for record in runs.values():
        names += [n for n in record["phases"] if n not in names]
    columns = [k for k in ("cold", "incremental", "check") if k in runs]
    titles = {"cold": "cold", "incremental": "one document changed", "check": "`check`"}
    lines = [
        "",
        f"**Where musicbind's time goes, {count:,} endpoints** (one run each, timers around "
        "the pipeline's stage functions in one process; the rest is the unnamed glue; "
        "interpreter start-up not included)",
        "",
        "| phase | " + " | ".join(titles[c] for c in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]

    def share(column: str, seconds: float | None) -> str:
        if seconds is None:
            return "—"
        total = runs[column]["total_seconds"]
        return f"{seconds_text(seconds)} ({100 * seconds / total:.0f} %)" if total else "—"

    for name in names:
        cells = [share(c, runs[c]["phases"].get(name)) for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    imports = " | ".join(seconds_text(runs[c]["imports_seconds"]) for c in columns)
    totals = " | ".join(seconds_text(runs[c]["total_seconds"]) for c in columns)
    lines += [f"| (importing the generator) | {imports} |", f"| **total** | {totals} |"]
    return lines


def _validation(val: dict[str, Any], folder: Path) -> list[str]:
    if not val:
        return []
    labels = val.get("labels", {})
    lines = ["## Validation", ""]
    picture = plot_validation(val, folder, val.get("short_labels", labels))
    if picture:
        lines += [f"![validation throughput]({picture})", ""]
    lines += [
        "In one process, on the same valid payloads (wire names), validators taking turns. "
        "`generated ÷ this` = the generated Input model's throughput ÷ this validator's "
        "(above 1: the generated model is faster). The JSON Schema is the one "
        "`musicbind schema REF` prints.",
        "",
    ]
    for ref, model in val.get("models", {}).items():
        rates = model["validators"]
        mine = _median(rates, "generated", "per_second")
        lines += [
            f"**`{ref}`** ({model['payloads']:,} payloads per pass; schema from "
            f"{model['schema_source']})",
            "",
            "| validator | payloads per second | generated ÷ this |",
            "|---|---|---|",
        ]
        for key, record in rates.items():
            lines.append(
                f"| {labels.get(key, key)} | {cell(record['per_second'], rate_text)} | "
                f"{times(mine, record['per_second']['median'])} |"
            )
        lines.append("")
        with_rule = _median(rates, "generated_with_rule", "per_second")
        plain = _median(rates, "generated_unguarded", "per_second")
        hand = _median(rates, "hand_written", "per_second")
        hand_rule = _median(rates, "hand_written_with_rule", "per_second")
        if with_rule and plain and mine:
            cost = [
                f"Cross-field rule cost per payload (from the medians, against the same fields "
                f"on a plain BaseModel): {_micro(mine, plain)} when no media length is given, "
                f"{_micro(with_rule, plain)} when it is"
            ]
            if hand and hand_rule:
                cost.append(f"; the same rule written by hand: {_micro(hand_rule, hand)}")
            lines += ["".join(cost) + ".", ""]
    cli = val.get("cli", {})
    if cli:
        lines += [
            f"**Command line, {cli.get('payloads', 0):,} payloads in one JSON Lines file** "
            "(whole process; start-up = the same command on one payload)",
            "",
            "| command | all payloads | one payload | beyond start-up |",
            "|---|---|---|---|",
        ]
        names = {
            "musicbind": "`musicbind validate FILE --model REF --media-duration video_url=600`",
            "jsonschema_script": "a jsonschema script (`python -m bench.jsonschema_script`)",
        }
        for key, label in names.items():
            record = cli.get(key, {})
            if "error" in record:
                lines.append(f"| {label} | pending: {record['error'][:100]!r} | | |")
                continue
            beyond = record.get("beyond_startup_seconds")
            lines.append(
                f"| {label} | {cell(record.get('many'))} | {cell(record.get('one'))} | "
                f"{seconds_text(beyond) if beyond is not None else '—'} |"
            )
        lines.append("")
    return lines


def _micro(slower: float, faster: float) -> str:
    """Extra microseconds per payload of a validator at rate ``slower`` over one at ``faster``."""
    extra = 1e6 / slower - 1e6 / faster
    return f"{extra:.2f} µs" if extra > 0 else "below the noise"


def _startup(start: dict[str, Any]) -> list[str]:
    if not start:
        return []
    imports = start.get("imports", {})
    mine = _median(imports, "generated", "seconds")
    lines = [
        "## Start-up",
        "",
        "Each in a fresh interpreter after one warm-up run. Imports are timed inside the "
        "process (the import statement alone); commands as a whole process. `this ÷ "
        "import`: how many times longer than `import musicbind.generated`.",
        "",
        "| import | time | this ÷ import |",
        "|---|---|---|",
    ]
    for key, label in start.get("import_labels", {}).items():
        record = imports.get(key, {})
        if "error" in record:
            lines.append(f"| {label} | not installed: {record['error'][-80:]!r} | |")
            continue
        lines.append(
            f"| {label} | {cell(record.get('seconds'))} | "
            f"{times(_median(record, 'seconds'), mine)} |"
        )
    commands = start.get("commands", {})
    helped = _median(commands, "musicbind_help", "seconds")
    lines += ["", "| command | time | this ÷ musicbind --help |", "|---|---|---|"]
    for key, label in start.get("command_labels", {}).items():
        record = commands.get(key, {})
        lines.append(
            f"| {label} | {cell(record.get('seconds'))} | "
            f"{times(_median(record, 'seconds'), helped)} |"
        )
    lines.append("")
    return lines


def _transport(transport: dict[str, Any], folder: Path) -> list[str]:
    if not transport:
        return []
    polling = transport.get("polling", {})
    lines = ["## Transport", ""]
    picture = plot_polling(transport, folder)
    if picture:
        lines += [f"![polling]({picture})", ""]
    lines += [
        "Polling one fal job on the emulator: the generated client's `Job.wait` against a "
        "fixed 0.1 s poller (what fal_client does). Time is simulated (the wall clock with "
        "every sleep skipped; the status requests are real HTTP on loopback), so the 300 s "
        "job takes seconds; the last row is a real-time run. Deterministic apart from "
        "request latency, so one run per length.",
        "",
        "| job length | musicbind status requests | fixed 0.1 s | fixed ÷ musicbind | "
        "musicbind delay to detection | fixed 0.1 s delay | allowed delay |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [
        (f"{length} s", job)
        for length, job in sorted(polling.get("simulated", {}).items(), key=lambda kv: float(kv[0]))
    ]
    real = polling.get("realtime")
    if real and "musicbind" in real:
        rows.append((f"{real['seconds']:g} s, real time", real))
    for length, job in rows:
        mine, fixed = job["musicbind"], job["fixed_0.1s"]
        seconds = float(job["seconds"])
        lines.append(
            f"| {length} | {mine['status_requests']} | {fixed['status_requests']} | "
            f"{times(fixed['status_requests'], mine['status_requests'])} | "
            f"{mine['detection_delay_s']:.2f} s | {fixed['detection_delay_s']:.2f} s | "
            f"{max(2.0, 0.1 * seconds):g} s |"
        )
    overhead = transport.get("overhead", {})
    if overhead:
        lines += [
            "",
            f"Per-call cost against `musicbind emulate` in its own process "
            f"({overhead.get('calls_per_side')} calls per side, timed in alternating samples "
            f"of {overhead.get('calls_per_sample')}; keep-alive on both sides). "
            "musicbind's submit validates the payload and writes the journal (SQLite) before "
            "and after sending; its `run` is submit + wait + result, the bare loop's is "
            "POST + status + GET.",
            "",
            "| call | generated FalClient | bare httpx loop | added per call | musicbind ÷ httpx |",
            "|---|---|---|---|---|",
        ]
        for name, pair in overhead.get("cases", {}).items():
            mine, bare = pair["musicbind"], pair["httpx"]
            lines.append(
                f"| {name} | {cell(mine)} | {cell(bare)} | "
                f"{seconds_text(max(mine['median'] - bare['median'], 0.0))} | "
                f"{times(mine['median'], bare['median'])} |"
            )
    lines.append("")
    return lines


def _download(download: dict[str, Any]) -> list[str]:
    if not download:
        return []
    modes = download.get("modes", {})
    mine = _median(modes, "musicbind", "above_baseline_bytes")
    lines = [
        "## Download",
        "",
        f"{download['bytes'] / MIB:,.0f} MiB streamed from a small server on loopback "
        "(Content-Length set), each download in a fresh process; memory is the peak "
        "resident set above that process's baseline once everything is imported "
        "(`VmHWM` after a reset through `/proc/self/clear_refs`). The runtime's default "
        "size cap is 512 MiB: the bench passes a larger `max_bytes`.",
        "",
        "| method | peak RSS above baseline | wall time | this ÷ musicbind (memory) |",
        "|---|---|---|---|",
    ]
    for key, label in download.get("labels", {}).items():
        record = modes.get(key)
        if not record:
            continue
        lines.append(
            f"| {label} | {cell(record['above_baseline_bytes'], mib_text)} | "
            f"{cell(record['seconds'])} | "
            f"{times(record['above_baseline_bytes']['median'], mine)} |"
        )
    lines.append("")
    return lines


NOT_MEASURED = [
    "## Not measured, and why",
    "",
    "- **fal_client and scenario_sdk over the network.** fal_client builds its queue URLs as "
    "`https://` + host (`FAL_QUEUE_RUN_HOST` sets only the host), so it cannot talk to the "
    "plain-HTTP loopback emulator; scenario_sdk has no wait helper to compare. Their polling "
    "is what the fixed 0.1 s poller reproduces (ANCHORS.md: fal_client polls every 0.1 s "
    "without backoff); their import times are measured above.",
    "- **OpenAPI Generator (Java).** No JVM in the bench environment; ANCHORS.md has its "
    "numbers from another day, which this page does not compare against.",
    "- **Invalid payloads.** Throughput is for valid payloads (the common path); error "
    "reporting speed is not compared.",
]


def render(results: dict[str, Any], targets: list[Target], folder: Path) -> str:
    """The whole markdown page; plots are written to ``folder/benchmarks/``."""
    plots = folder / PLOTS
    sections = results.get("sections", {})
    quick = str(results.get("plan")).startswith("quick")
    lines = [
        "# Benchmarks",
        "",
        "Written by `nox -s bench` (`python -m bench`); the numbers are in "
        "[`bench/results.json`](../bench/results.json) with the environment. Every figure "
        "is compared with the alternative measured in the same run on the same input; "
        "cells are the median of several runs with [min–max]. These machines are noisy: "
        "compare within a row, not across runs.",
        "",
    ]
    if quick:
        lines += ["> **Smoke run (`--quick`)**: few sizes and single runs; not for decisions.", ""]
    lines += [*_targets(targets), ""]
    lines += _generation(sections.get("generation", {}), plots)
    lines += _validation(sections.get("validation", {}), plots)
    lines += _startup(sections.get("startup", {}))
    lines += _transport(sections.get("transport", {}), plots)
    lines += _download(sections.get("download", {}))
    lines += [*NOT_MEASURED, ""]
    lines += [*_environment(results), ""]
    return "\n".join(lines)
