"""Bench: code generation time and peak memory, musicbind against the single-document generators.

Every tool runs as a subprocess on the same synthetic endpoints: musicbind on one fal
queue document per endpoint (``bench.synthetic.write_specs``), datamodel-code-generator
(default options, and the fastest options of ANCHORS.md) and openapi-python-client on the
same endpoints as one OpenAPI document (``combined_openapi``). Tools take turns within a
round so that a noisy minute hurts all of them alike. Cold means no output and no load
cache. At the largest count: ``check`` and ``generate`` with nothing changed, and
``generate`` after one document changed, against datamodel-code-generator's ``--check``
and its full regeneration (it has no incremental mode).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.measure import ProcessRun, run_process, summary, tool, tool_env
from bench.plan import Plan
from bench.synthetic import combined_openapi, touch_one, write_specs

DMCG_FAST_OPTIONS = (
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--disable-timestamp",
    "--formatters",
    "ruff-check",
    "ruff-format",
)
TOOLS = ("musicbind", "dmcg_default", "dmcg_fast", "openapi_python_client")
LABELS = {
    "musicbind": "musicbind generate",
    "dmcg_default": "datamodel-code-generator, default options",
    "dmcg_fast": "datamodel-code-generator, fastest options",
    "openapi_python_client": "openapi-python-client",
}
_WRITTEN = re.compile(r"(\d+) models: (\d+) files written")


@dataclass(frozen=True, slots=True)
class Workspace:
    """The inputs and output locations of one endpoint count."""

    folder: Path
    specs: Path
    openapi: Path

    @property
    def cache(self) -> Path:
        return self.folder / "cache"

    @property
    def musicbind_out(self) -> Path:
        return self.folder / "out-musicbind" / "benchgen"

    def dmcg_out(self, variant: str) -> Path:
        return self.folder / f"out-{variant}.py"

    @property
    def opc_out(self) -> Path:
        return self.folder / "out-openapi-python-client"

    def env(self) -> dict[str, str]:
        return tool_env({"MUSICBIND_CACHE_DIR": str(self.cache)})


def prepare(folder: Path, count: int) -> Workspace:
    """Write the ``count`` fal documents and their one-document twin under ``folder``."""
    specs = write_specs(folder, count)
    openapi = folder / "openapi.json"
    openapi.write_text(json.dumps(combined_openapi(count)), encoding="utf-8")
    return Workspace(folder, specs, openapi)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def musicbind_generate(ws: Workspace, *extra: str) -> ProcessRun:
    """``musicbind generate`` of the workspace's specs into its output package."""
    command = [tool("musicbind"), *extra, "--specs", str(ws.specs), "--out", str(ws.musicbind_out)]
    return run_process(command, cwd=ws.folder, env=ws.env())


def _dmcg(ws: Workspace, variant: str, *extra: str) -> ProcessRun:
    options = DMCG_FAST_OPTIONS if variant == "dmcg_fast" else ()
    command = [
        tool("datamodel-codegen"),
        "--input",
        str(ws.openapi),
        "--input-file-type",
        "openapi",
        "--output",
        str(ws.dmcg_out(variant)),
        *options,
        *extra,
    ]
    return run_process(command, cwd=ws.folder, env=ws.env())


def _settle() -> None:
    """Let the file system finish the previous run's work before the clock starts.

    Removing a tool's last output (thousands of files) leaves the freeing of their blocks
    and the write-back of what was written to the kernel; left pending, it was billed to
    whichever tool created files next (on a shared disk, 0.2 s became 2-3 s for writing
    3,000 small files). Every tool's cold run starts after it.
    """
    os.sync()


def cold_run(ws: Workspace, name: str) -> ProcessRun:
    """One cold generation of the workspace's endpoints by tool ``name``."""
    if name == "musicbind":
        _remove(ws.musicbind_out)
        _remove(ws.cache)
        _settle()
        return musicbind_generate(ws, "generate")
    if name in ("dmcg_default", "dmcg_fast"):
        _remove(ws.dmcg_out(name))
        _settle()
        return _dmcg(ws, name)
    _remove(ws.opc_out)
    _settle()
    command = [
        tool("openapi-python-client"),
        "generate",
        "--path",
        str(ws.openapi),
        "--output-path",
        str(ws.opc_out),
        "--overwrite",
    ]
    return run_process(command, cwd=ws.folder, env=ws.env())


class SourceWatch:
    """Notices edits to generator/ during the bench (a development machine shared with others).

    A musicbind run during which the generator's sources changed is discarded and run again
    (up to :data:`RETRIES` times): it measured a full regeneration, not the case at hand.
    Before a warm case (check, no-op, one change) the tree is regenerated, untimed, if the
    generator changed since it was last generated. On a fresh clone nothing changes.
    """

    RETRIES = 2

    def __init__(self, root: Path) -> None:
        self.folder = root / "generator"
        self.discarded = 0
        self._generated_with: dict[Path, str] = {}

    def digest(self) -> str:
        """Names, sizes and modification times of the generator's sources."""
        state = hashlib.sha256()
        for file in sorted(self.folder.rglob("*")):
            if file.suffix in {".py", ".j2", ".yaml"} and "__pycache__" not in file.parts:
                info = file.stat()
                state.update(f"{file}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        return state.hexdigest()

    def stable(self, ws: Workspace, attempt: Callable[[], ProcessRun]) -> ProcessRun:
        """``attempt()`` once the generator held still during it; marks the tree as current."""
        for _ in range(self.RETRIES + 1):
            before = self.digest()
            run = attempt()
            if self.digest() == before:
                self._generated_with[ws.folder] = before
                return run
            self.discarded += 1
        return run

    def warm(self, ws: Workspace) -> None:
        """Regenerate (untimed) when the tree was made by another version of the generator."""
        current = self.digest()
        if self._generated_with.get(ws.folder) != current or not ws.musicbind_out.is_dir():
            musicbind_generate(ws, "generate")
            self._generated_with[ws.folder] = current


class Samples:
    """Seconds and peak memory of repeated runs of one case; failures kept with their output."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.rss: list[float] = []
        self.errors: list[str] = []

    def add(self, run: ProcessRun) -> ProcessRun:
        if run.returncode != 0:
            self.errors.append(f"exit {run.returncode}: {(run.stderr or run.stdout)[-600:]}")
        else:
            self.seconds.append(run.seconds)
            self.rss.append(run.peak_pss_bytes)
        return run

    def record(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if self.seconds:
            result["seconds"] = summary(self.seconds)
            result["peak_pss_bytes"] = summary(self.rss)
        if self.errors:
            result["errors"] = self.errors[:3]
        return result


def _rounds(runs: int, names: tuple[str, ...], one: Callable[[str], ProcessRun]) -> dict[str, Any]:
    samples = {name: Samples() for name in names}
    for round_index in range(runs):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].add(one(name))
    return {name: s.record() for name, s in samples.items()}


def _files_written(run: ProcessRun) -> int | None:
    found = _WRITTEN.search(run.stderr)
    return int(found.group(2)) if found else None


def steady_state(
    ws: Workspace, count: int, plan: Plan, watch: SourceWatch, log: Callable[[str], None]
) -> dict[str, Any]:
    """check / generate with nothing changed, and generate after one change, at ``count``."""
    result: dict[str, Any] = {"endpoints": count}

    def warm_then(*command: str) -> ProcessRun:
        watch.warm(ws)
        return musicbind_generate(ws, *command)

    def one_change(index: int) -> ProcessRun:
        watch.warm(ws)
        touch_one(ws.specs, index)
        return musicbind_generate(ws, "generate")

    log(f"  {count} endpoints: check and no-op generate")
    check, noop = Samples(), Samples()
    for _ in range(plan.check_runs):
        check.add(watch.stable(ws, functools.partial(warm_then, "check")))
        noop.add(watch.stable(ws, functools.partial(warm_then, "generate")))
    result["check"] = check.record()
    result["noop_generate"] = noop.record()
    if count <= plan.LARGE_COUNT:  # minutes a run past that: the cold table has its time
        log(f"  {count} endpoints: datamodel-code-generator --check")
        if not ws.dmcg_out("dmcg_fast").exists():
            _dmcg(ws, "dmcg_fast")
        dmcg_check = Samples()
        for _ in range(plan.incremental_runs):
            dmcg_check.add(_dmcg(ws, "dmcg_fast", "--check"))
        result["dmcg_check"] = dmcg_check.record()
    log(f"  {count} endpoints: one document changed")
    incremental = Samples()
    written: list[int | None] = []
    for index in range(plan.incremental_runs):
        run = incremental.add(watch.stable(ws, functools.partial(one_change, index * 37 % count)))
        written.append(_files_written(run))
    result["incremental"] = incremental.record()
    result["incremental_files_written"] = written
    after = musicbind_generate(ws, "check")
    result["check_after_incremental_exit"] = after.returncode
    log(f"  {count} endpoints: phase breakdown (one run each)")
    result["phases"] = phase_breakdown(ws, count)
    return result


def _phases(ws: Workspace, mode: str) -> dict[str, Any]:
    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "bench.phases", mode, str(ws.specs), str(ws.musicbind_out)]
    env = {**ws.env(), "PYTHONPATH": str(root)}
    run = run_process(command, cwd=ws.folder, env=env, sample_memory=False)
    if run.returncode != 0:
        return {"error": (run.stderr or run.stdout)[-600:]}
    breakdown: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return breakdown


def phase_breakdown(ws: Workspace, count: int) -> dict[str, Any]:
    """Seconds per pipeline phase: cold, after one change, and check (in-process timers)."""
    _remove(ws.musicbind_out)
    _remove(ws.cache)
    _settle()  # as for the timed cold runs
    cold = _phases(ws, "generate")
    touch_one(ws.specs, count // 2)
    return {"cold": cold, "incremental": _phases(ws, "generate"), "check": _phases(ws, "check")}


def real_specs(root: Path, work: Path, plan: Plan, log: Callable[[str], None]) -> dict[str, Any]:
    """``musicbind generate`` / ``check`` for the repository's specs/ (output in ``work``):
    the mixed catalogue (fal, Scenario, the gateway and the generic OpenAPI providers)."""
    specs, cache, out = root.resolve() / "specs", work / "cache", work / "out" / "generated"
    work.mkdir(parents=True, exist_ok=True)
    env = tool_env({"MUSICBIND_CACHE_DIR": str(cache)})
    manifest = yaml.safe_load((specs / "manifest.yaml").read_text(encoding="utf-8"))
    listed = manifest["documents"]
    openapi = [str(d["path"]) for d in listed if d.get("kind") == "openapi"]
    kinds: dict[str, int] = {}
    providers: set[str] = set()
    for document in listed:
        kinds[str(document.get("kind"))] = kinds.get(str(document.get("kind")), 0) + 1
        providers.add(str(document.get("provider")))

    def generate(*command: str) -> ProcessRun:
        line = [tool("musicbind"), *command, "--specs", str(specs), "--out", str(out)]
        return run_process(line, cwd=root, env=env)

    cold, noop, check, alternative = Samples(), Samples(), Samples(), Samples()
    log(f"  specs/: cold, no-op, check; datamodel-code-generator on its {len(openapi)} OpenAPI")
    for _ in range(plan.specs_runs):
        _remove(out.parent)
        _remove(cache)
        cold.add(generate("generate"))
        noop.add(generate("generate"))
        check.add(generate("check"))
        runs = [
            run_process(
                [
                    tool("datamodel-codegen"),
                    "--input",
                    str(specs / document),
                    "--input-file-type",
                    "openapi",
                    "--output",
                    str(work / f"dmcg-{index}.py"),
                    *DMCG_FAST_OPTIONS,
                ],
                cwd=work,
                env=env,
            )
            for index, document in enumerate(openapi)
        ]
        failed = next((r for r in runs if r.returncode != 0), None)
        alternative.add(
            failed
            or ProcessRun(
                sum(r.seconds for r in runs),
                max(r.peak_pss_bytes for r in runs),
                0,
                "",
                "",
            )
        )
    return {
        "documents": len(listed),
        "kinds": dict(sorted(kinds.items())),
        "providers": sorted(providers),
        "openapi_documents": len(openapi),
        "cold": cold.record(),
        "noop_generate": noop.record(),
        "check": check.record(),
        "dmcg_fast_openapi_documents": alternative.record(),
    }


def largest_module(out: Path) -> dict[str, Any]:
    """The largest Python module musicbind generated (bounded parts: it must not grow with
    the catalogue), and how many modules there are."""
    modules = [(p.stat().st_size, p.relative_to(out).as_posix()) for p in out.rglob("*.py")]
    size, path = max(modules, default=(0, ""))
    return {"path": path, "bytes": size, "modules": len(modules)}


def run(root: Path, work: Path, plan: Plan, log: Callable[[str], None]) -> dict[str, Any]:
    """The generation section of the results."""
    sizes: dict[str, Any] = {}
    largest: dict[str, Any] = {}
    workspaces: dict[int, Workspace] = {}
    watch = SourceWatch(root)

    def cold(ws: Workspace, name: str) -> ProcessRun:
        if name == "musicbind":
            return watch.stable(ws, functools.partial(cold_run, ws, name))
        return cold_run(ws, name)

    for count in plan.endpoint_counts:
        log(f"  {count} endpoints: cold, {plan.runs_for(count)} rounds of {len(TOOLS)} tools")
        ws = prepare(work / f"n{count}", count)
        workspaces[count] = ws
        sizes[str(count)] = _rounds(plan.runs_for(count), TOOLS, functools.partial(cold, ws))
        largest[str(count)] = largest_module(ws.musicbind_out)
    steady = {
        str(count): steady_state(workspaces[count], count, plan, watch, log)
        for count in plan.steady_counts()
    }
    specs = real_specs(root, work / "specs", plan, log)
    return {
        "tools": LABELS,
        "cold": sizes,
        "largest_module": largest,
        "steady": steady[str(min(plan.steady_counts()))],
        "steady_by_count": steady,
        "specs": specs,
        "runs_discarded_for_generator_edits": watch.discarded,
    }
