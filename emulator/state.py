"""Emulator: the state one emulator run keeps: jobs, files, assets, ids, faults and the ledger.

Ids come from a ``random.Random(seed)``: the same seed and the same requests in the same order
give the same job ids, hence the same audio bytes.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from musicbind.emulator.audio import synthesize_wav
from musicbind.emulator.catalogue import BUILTIN_PROVIDERS, DEFAULT_PACKAGE, Catalogue, Plan
from musicbind.emulator.faults import FaultPlan, FaultRule, parse_fault_spec
from musicbind.emulator.jobs import CANCELED, FAILED, SUCCEEDED, EmulatedJob, OutputFile, Timing
from musicbind.emulator.ledger import Charge, Ledger
from musicbind.emulator.media import MediaFile, demo_video, probe_duration

# Credentials the emulator accepts (dummies: never real keys).
FAL_KEY = "emulator-fal-key"
SCENARIO_API_KEY = "emulator-scenario-key"
SCENARIO_API_SECRET = "emulator-scenario-secret"  # noqa: S105 - a documented dummy
AIGATEWAY_API_KEY = "sk-aig-emulator"
_AUDIO_CACHE_ENTRIES = 16
# Paths of the emulator's own: a generic provider cannot be served under these names.
RESERVED_NAMES = frozenset({*BUILTIN_PROVIDERS, "files", "media", "_emulator"})


def generic_key(provider: str) -> str:
    """The dummy key the emulator accepts for a generic provider (never a real key)."""
    return f"emulator-{provider}-key"


def generic_secret(provider: str) -> str:
    """The dummy secret (basic auth's password) the emulator accepts for a generic provider."""
    return f"emulator-{provider}-secret"


@dataclass(frozen=True, slots=True)
class Asset:
    """A Scenario asset: an upload or a job's result."""

    asset_id: str
    file_id: str
    name: str
    mime_type: str
    duration: float | None
    job_id: str | None = None


class Emulator:
    """Everything one emulator run knows; shared by the three providers' handlers."""

    def __init__(
        self,
        seed: int = 0,
        faults: str | tuple[FaultRule, ...] = (),
        timing: Timing | None = None,
        clock: Callable[[], float] = time.monotonic,
        honour_idempotency_keys: bool = False,
        package: str = DEFAULT_PACKAGE,
    ) -> None:
        self.seed = seed
        self.timing = timing or Timing()
        self.clock = clock
        self.honour_idempotency_keys = honour_idempotency_keys
        self.ledger = Ledger()
        self.catalogue = Catalogue(package)
        # name -> protocol of each generic provider of the package, served under /<name>
        self.generic = self.catalogue.generic_protocols()
        clashes = sorted(set(self.generic) & RESERVED_NAMES)
        if clashes:
            raise ValueError(
                f"{package}: generic provider {clashes[0]!r} has the name of an emulator path; "
                "rename it in the overlay"
            )
        self.faults = FaultPlan(self._rules(faults), seed)
        self.primary_origin = "http://127.0.0.1"
        self.alternate_origin = "http://localhost"
        self._lock = threading.RLock()
        self._random = random.Random(seed)  # noqa: S311 - ids must repeat by seed
        self.jobs: dict[str, EmulatedJob] = {}
        self.outputs: dict[str, OutputFile] = {}
        self.media: dict[str, MediaFile] = {}
        self.assets: dict[str, Asset] = {}
        self.idempotency: dict[tuple[str, str], str] = {}
        self.pending_uploads: dict[str, tuple[str, str]] = {}  # fal storage: token -> name, type
        self._audio_cache: OrderedDict[str, bytes] = OrderedDict()
        video = demo_video()
        self.media[f"media/{video.name}"] = video

    def set_faults(self, faults: str | tuple[FaultRule, ...]) -> None:
        """Replace the fault rules (counters start again)."""
        self.faults.replace(self._rules(faults))

    def _rules(self, faults: str | tuple[FaultRule, ...]) -> tuple[FaultRule, ...]:
        return parse_fault_spec(faults, self.generic) if isinstance(faults, str) else tuple(faults)

    def new_id(self, prefix: str, hex_digits: int = 16) -> str:
        """A fresh deterministic id, e.g. ``job_3f2a...``."""
        with self._lock:
            return f"{prefix}{self._random.getrandbits(hex_digits * 4):0{hex_digits}x}"

    def new_uuid(self) -> str:
        """A fresh deterministic UUID (fal's request ids)."""
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def create_job(
        self,
        provider: str,
        job_id: str,
        model_id: str,
        payload: dict[str, Any],
        plan: Plan,
        fate: str,
        file_prefix: str,
        extension: str = "wav",
    ) -> EmulatedJob:
        """Register an accepted job with its output files (synthesized on first download)."""
        outputs = []
        for index in range(plan.samples):
            file_id = self.new_id("", 20)
            suffix = f"-{index + 1}" if plan.samples > 1 else ""
            name = f"{file_prefix}{suffix}.{extension}"
            seed = f"{self.seed}:{provider}:{job_id}:{index}"
            output = OutputFile(file_id, name, plan.seconds, seed, plan.sample_rate)
            outputs.append(output)
        vocabulary = "sdk" if self._random.random() < 0.5 else "guide"
        job = EmulatedJob(
            provider=provider,
            job_id=job_id,
            model_id=model_id,
            payload=payload,
            created=self.clock(),
            created_wall=time.time(),
            timing=self.timing,
            outputs=outputs,
            cost=plan.cost,
            currency=plan.currency,
            units=plan.units,
            fate=fate,
            vocabulary=vocabulary,
        )
        with self._lock:
            self.jobs[_key(provider, job_id)] = job
            for output in outputs:
                self.outputs[output.file_id] = output
        return job

    def job(self, provider: str, job_id: str) -> EmulatedJob | None:
        """A provider's job by id."""
        with self._lock:
            return self.jobs.get(_key(provider, job_id))

    def jobs_of(self, provider: str) -> list[EmulatedJob]:
        """All jobs of a provider, oldest first."""
        with self._lock:
            return [job for job in self.jobs.values() if job.provider == provider]

    def charge(self, job: EmulatedJob, payload_sha256: str, idempotency_key: str | None) -> None:
        """Record the job's charge; refund at once when its fate means it will not be billed."""
        self.ledger.record_charge(
            Charge(
                job.provider,
                job.job_id,
                job.model_id,
                job.cost,
                job.currency,
                job.units,
                payload_sha256,
                idempotency_key,
            )
        )
        unbilled = job.fate not in (SUCCEEDED, "stall")
        if unbilled and (job.provider != "scenario" or job.fate == CANCELED):
            self.ledger.refund(job.provider, job.job_id)

    def cancel(self, job: EmulatedJob, delay: float, ignore_when_finalizing: bool) -> bool:
        """Request a cancel: True when it will take effect (and then refund a queued job)."""
        now = self.clock()
        if job.is_terminal(now) or job.cancel_at is not None:
            return job.cancel_at is not None and not job.is_terminal(now)
        if ignore_when_finalizing and job.progress(now) >= 0.75:
            return False
        at = now + delay
        if at >= job.run_end and job.fate != "stall":
            return False
        queued = job.is_queued(at)
        job.cancel_at = at
        if queued or job.provider != "scenario":
            self.ledger.refund(job.provider, job.job_id)
        return True

    def add_upload(self, provider: str, name: str, content: bytes, content_type: str) -> str:
        """Store uploaded bytes; return their path below the origin (``files/...``)."""
        path = f"files/{provider}/{self.new_id('', 20)}/{safe_name(name)}"
        self.store_upload(path, (name, content_type), content)
        return path

    def store_upload(self, path: str, described: tuple[str, str], content: bytes) -> None:
        """Serve ``content`` (named and typed by ``described``) at ``path`` below the origin."""
        media = MediaFile(safe_name(described[0]), content, described[1], probe_duration(content))
        with self._lock:
            self.media[path] = media

    def file(self, path: str) -> tuple[bytes, str] | None:
        """(bytes, media type) served at ``path`` (below the origin), or None."""
        with self._lock:
            media = self.media.get(path)
        if media is not None:
            return media.content, media.content_type
        parts = path.split("/")
        if len(parts) != 4 or parts[0] != "files":
            return None
        with self._lock:
            output = self.outputs.get(parts[2])
        if output is None or output.name != parts[3]:
            return None
        return self._audio(output), output.content_type

    def output_path(self, provider: str, output: OutputFile) -> str:
        """Where an output file is served, below the origin."""
        return f"files/{provider}/{output.file_id}/{output.name}"

    def media_seconds(self, url: str) -> float | None:
        """Length of media the emulator serves itself at ``url``, else None (it cannot fetch)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in (
            "127.0.0.1",
            "localhost",
        ):
            return None
        with self._lock:
            media = self.media.get(parts.path.lstrip("/"))
        return media.duration if media is not None else None

    def job_records(self) -> list[dict[str, Any]]:
        """Every job with its model, state now, fate, length, samples and price (JSON-ready)."""
        now = self.clock()
        with self._lock:
            jobs = list(self.jobs.values())
        return [
            {
                "provider": job.provider,
                "job_id": job.job_id,
                "model": job.model_id,
                "state": job.stage(now),
                "fate": job.fate,
                "seconds": job.outputs[0].seconds if job.outputs else 0.0,
                "samples": len(job.outputs),
                "cost": str(job.cost),
                "currency": job.currency,
            }
            for job in jobs
        ]

    def snapshot(self) -> dict[str, Any]:
        """The ledger plus the jobs, as ``GET /_emulator/ledger`` answers it."""
        return {
            **self.ledger.to_dict(),
            "jobs": self.job_records(),
            "job_states": self.job_state_counts(),
        }

    def job_state_counts(self) -> dict[str, int]:
        """How many jobs are in each neutral stage now (for the admin endpoint)."""
        now = self.clock()
        counts: dict[str, int] = {}
        with self._lock:
            jobs = list(self.jobs.values())
        for job in jobs:
            stage = job.stage(now)
            stage = stage if stage in (SUCCEEDED, FAILED, CANCELED) else "active"
            counts[stage] = counts.get(stage, 0) + 1
        return counts

    def _audio(self, output: OutputFile) -> bytes:
        with self._lock:
            cached = self._audio_cache.get(output.file_id)
            if cached is not None:
                self._audio_cache.move_to_end(output.file_id)
                return cached
        content = synthesize_wav(output.seed, output.seconds, output.sample_rate)
        with self._lock:
            self._audio_cache[output.file_id] = content
            while len(self._audio_cache) > _AUDIO_CACHE_ENTRIES:
                self._audio_cache.popitem(last=False)
        return content


def _key(provider: str, job_id: str) -> str:
    return f"{provider}:{job_id}"


def safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in base).lstrip(".")
    return cleaned[:100] or "upload.bin"
