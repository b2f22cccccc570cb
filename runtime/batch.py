"""Runtime: the batch runner: many paid jobs, bounded, rate-limited, capped, resumable.

``Batch(items, journal=...).run()`` (or ``await ....arun()``: one asyncio code path, the
sync call runs it in a fresh event loop) submits every item, waits for its job, and
returns a :class:`BatchReport`. Per provider at most ``concurrency`` items are in flight,
and every request passes one :class:`~runtime.batch_limits.AdaptiveRateLimiter`.
``max_total_cost`` caps the estimated spend of the whole batch (reserved in the journal
before each submit, replaced by what the results report as billed). An item's error
never stops the others.

Never paying twice rests on the journal (:mod:`runtime.journal_batch`): items are keyed
by a hash of ref and input, claimed before they are touched, and the submit's intent is
written, fenced by the claim, before the request leaves. A rerun of the same file, after
a crash, a SIGKILL or Ctrl-C, skips done items, waits for accepted jobs instead of
submitting again, and never re-sends a submit whose outcome is unknown, unless the
provider honours idempotency keys (``idempotency_header``): then it is re-sent under the
same key. Several workers may share a journal (PostgreSQL across machines): each claims
items of its own, and takes over those whose worker's lease passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from musicbind.runtime.batch_items import BatchRequest
from musicbind.runtime.batch_limits import (
    BILLING_METER,
    AdaptiveRateLimiter,
    BillingMeter,
    LimitedTransport,
)
from musicbind.runtime.batch_report import (
    BatchProgress,
    BatchReport,
    ItemReport,
    ProgressHook,
    plain_decimal,
)
from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.client import AsyncClient
from musicbind.runtime.errors import (
    JobTimeoutError,
    JournalError,
    MusicbindError,
    SubmissionUncertainError,
)
from musicbind.runtime.jobs import AsyncJob
from musicbind.runtime.journal import Journal, JournalEntry
from musicbind.runtime.journal_batch import (
    BATCH_LINK,
    FINAL_STATUSES,
    BatchItem,
    BatchLink,
    ClaimLostError,
    NewItem,
    new_worker_id,
)
from musicbind.runtime.polling import DEFAULT_POLL_POLICY, DEFAULT_WAIT_TIMEOUT, PollPolicy

DEFAULT_CONCURRENCY = 8
DEFAULT_LEASE_S = 60.0


class Batch:
    """A batch of items over one journal; :meth:`run` / :meth:`arun` run what is left of it."""

    def __init__(
        self,
        items: Sequence[BatchRequest],
        *,
        journal: Journal | str | Path | None = None,
        package: str = "musicbind.generated",
        concurrency: int | Mapping[str, int] = DEFAULT_CONCURRENCY,
        max_total_cost: Decimal | float | str | None = None,
        rate: float | Mapping[str, float] | None = None,
        out_dir: Path | None = None,
        wait_timeout: float = DEFAULT_WAIT_TIMEOUT,
        lease_s: float = DEFAULT_LEASE_S,
        retry_failed: bool = False,
        idempotency_header: str | None = None,
        poll: PollPolicy = DEFAULT_POLL_POLICY,
        batch_id: str | None = None,
        client_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.items: list[BatchRequest] = []
        self.duplicates: list[tuple[int | None, int | None]] = []
        first: dict[str, BatchRequest] = {}
        for item in items:
            if item.key in first:
                self.duplicates.append((item.line, first[item.key].line))
                continue
            first[item.key] = item
            self.items.append(item)
        self._journal_arg = journal
        self.package = package
        self.concurrency = concurrency
        self.max_total_cost = None if max_total_cost is None else Decimal(str(max_total_cost))
        self.rate = rate
        self.out_dir = out_dir
        self.wait_timeout = wait_timeout
        self.lease_s = lease_s
        self.retry_failed = retry_failed
        self.idempotency_header = idempotency_header
        self.poll = poll
        self.batch_id = batch_id or default_batch_id(self.items)
        self.client_options = dict(client_options or {})
        self.worker = new_worker_id()
        self.limiters: dict[str, AdaptiveRateLimiter] = {}
        self._clients: dict[str, AsyncClient] = {}
        self._bindings: dict[str, Binding] = {}
        self._counts = dict.fromkeys(FINAL_STATUSES, 0)
        self._finished_here = 0
        self._running = 0
        self._started = 0.0
        self._spent = Decimal(0)
        self._currency = ""
        self._hook: ProgressHook | None = None

    # -- public -------------------------------------------------------------------------

    def run(self, on_progress: ProgressHook | None = None) -> BatchReport:
        """Run what is left of the batch; the report (blocking)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.arun(on_progress))
        raise RuntimeError("Batch.run() was called inside an event loop: await batch.arun()")

    async def arun(self, on_progress: ProgressHook | None = None) -> BatchReport:
        """Run what is left of the batch; the report."""
        self._hook = on_progress
        self._started = time.monotonic()
        journal, owned = self._open_journal()
        try:
            return await self._run(journal)
        finally:
            await self._close_clients()
            with contextlib.suppress(MusicbindError):
                journal.batch_release(self.worker)
            if owned:
                journal.close()

    # -- the run ------------------------------------------------------------------------

    async def _run(self, journal: Journal) -> BatchReport:
        keys = [item.key for item in self.items]
        journal.batch_register(
            self.batch_id,
            [NewItem(i.key, n, i.ref, i.label) for n, i in enumerate(self.items)],
            retry_failed=self.retry_failed,
        )
        by_key = {item.key: item for item in self.items}
        slots: dict[str, asyncio.Semaphore] = {}
        heartbeat = asyncio.create_task(self._heartbeat(journal))
        try:
            while True:
                rows = journal.batch_items(keys)
                self._tally(journal, rows)
                remaining = [k for k in keys if rows[k].status not in FINAL_STATUSES]
                if not remaining:
                    break
                tasks = []
                for key in remaining:
                    provider = by_key[key].ref.partition(":")[0]
                    slot = slots.setdefault(provider, asyncio.Semaphore(self._limit(provider)))
                    tasks.append(asyncio.create_task(self._item(journal, by_key[key], slot)))
                for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                    if isinstance(outcome, BaseException):
                        raise outcome
                rows = journal.batch_items(keys)
                if any(rows[k].status not in FINAL_STATUSES for k in keys):
                    # others hold claims: look again when a lease may have passed
                    await asyncio.sleep(min(1.0, self.lease_s / 4))
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return self._report(journal)

    async def _heartbeat(self, journal: Journal) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            with contextlib.suppress(MusicbindError):
                journal.batch_renew(self.worker, self.lease_s)

    async def _item(self, journal: Journal, item: BatchRequest, slot: asyncio.Semaphore) -> None:
        async with slot:
            claimed = journal.batch_claim(item.key, self.worker, self.batch_id, self.lease_s)
            if claimed is None:
                return
            self._running += 1
            self._progress()
            try:
                status: str | None = await self._process(journal, item, claimed)
            except ClaimLostError:
                status = None
            except JournalError:
                raise  # the journal itself failed: stop, a rerun resumes
            except Exception as error:  # an item's error never stops the others
                try:
                    status = self._finish(journal, item, "failed", error=_describe(error))
                except ClaimLostError:
                    status = None
            finally:
                self._running -= 1
            if status is not None:
                self._counts[status] = self._counts.get(status, 0) + 1
                self._finished_here += 1
                with contextlib.suppress(MusicbindError):
                    self._spent = journal.batch_spent(self.batch_id)
            self._progress()

    async def _process(self, journal: Journal, item: BatchRequest, claimed: BatchItem) -> str:
        """Take one claimed item to a final status; that status."""
        try:
            binding = self._binding(item.ref)
            client = self._client(journal, binding)
        except (MusicbindError, LookupError, ImportError) as error:
            return self._finish(journal, item, "failed", error=_describe(error), release=True)
        previous = _entry(journal, claimed.intent_id)
        meter = BillingMeter()
        BILLING_METER.set(meter)
        if previous is not None and previous.submission == "accepted":
            job: AsyncJob[Any] = client.job(previous.intent_id)
        elif previous is not None and previous.submission in ("pending", "uncertain"):
            if self.idempotency_header is None:
                return self._finish(
                    journal,
                    item,
                    "uncertain",
                    error=previous.reconcile
                    or f"the submit of journal entry {previous.intent_id} may have created a "
                    "job; it was not sent again (see `musicbind jobs` and `musicbind reconcile`)",
                )
            reuse = previous.intent_id
            submitted = await self._submit(journal, item, binding, client, reuse)
            if isinstance(submitted, str):
                return submitted
            job = submitted
        else:
            submitted = await self._submit(journal, item, binding, client, None)
            if isinstance(submitted, str):
                return submitted
            job = submitted
        return await self._finish_job(journal, item, binding, job, meter)

    async def _submit(
        self,
        journal: Journal,
        item: BatchRequest,
        binding: Binding,
        client: AsyncClient,
        reuse: str | None,
    ) -> AsyncJob[Any] | str:
        """Validate, reserve the estimate, submit; the job, or the item's final status."""
        payload = _with_absolute_paths(binding, item)
        try:
            model = client.validate(binding, payload, media_duration=item.media_duration)
            estimate = client.estimate_cost(binding, model, item.media_duration)
        except (ValidationError, MusicbindError) as error:
            return self._finish(journal, item, "failed", error=_describe(error), release=True)
        currency = binding.pricing.currency if binding.pricing else None
        self._currency = self._currency or currency or ""
        if self.max_total_cost is not None and estimate is None:
            return self._finish(
                journal,
                item,
                "skipped",
                error="the cost cap needs an estimate, and this item's cost cannot be "
                "estimated; nothing was sent",
                release=True,
            )
        over = journal.batch_reserve(
            item.key, self.worker, self.batch_id, estimate, self.max_total_cost, currency
        )
        if over is not None:
            return self._finish(
                journal,
                item,
                "skipped",
                error=f"the total cost cap {self.max_total_cost} would be passed (committed "
                f"{over} + estimate {estimate}); nothing was sent",
                release=True,
            )
        token = BATCH_LINK.set(BatchLink(item.key, self.worker, reuse))
        try:
            return await client.submit(binding, model, media_duration=item.media_duration)
        except SubmissionUncertainError as error:
            return self._finish(journal, item, "uncertain", error=_describe(error))
        except ClaimLostError:
            raise
        except MusicbindError as error:  # refused or never sent: nothing to pay
            return self._finish(journal, item, "failed", error=_describe(error), release=True)
        finally:
            BATCH_LINK.reset(token)

    async def _finish_job(
        self,
        journal: Journal,
        item: BatchRequest,
        binding: Binding,
        job: AsyncJob[Any],
        meter: BillingMeter,
    ) -> str:
        try:
            result = await job.raw_result(self.wait_timeout)
            files: list[Path] = []
            if self.out_dir is not None:
                files = await job.download(self.out_dir / item.key[:16])
        except JobTimeoutError as error:  # the job still runs: a rerun waits for it again
            return self._finish(journal, item, "timed_out", error=_describe(error))
        except MusicbindError as error:
            return self._finish(journal, item, "failed", error=_describe(error))
        cost = _reported_cost(binding, meter, journal, job.intent_id or "")
        return self._finish(
            journal,
            item,
            "done",
            cost=cost,
            result=result,
            files=[str(path) for path in files],
        )

    def _finish(
        self,
        journal: Journal,
        item: BatchRequest,
        status: str,
        *,
        error: str | None = None,
        cost: Decimal | None = None,
        result: Mapping[str, Any] | None = None,
        files: Sequence[str] = (),
        release: bool = False,
    ) -> str:
        if not journal.batch_finish(
            item.key,
            self.worker,
            status,
            error=error,
            cost=cost,
            result=result,
            files=files,
            release=release,
        ):
            raise ClaimLostError(f"batch item {item.label} was taken over by another worker")
        return status

    # -- clients, bindings --------------------------------------------------------------

    def _binding(self, ref: str) -> Binding:
        if ref not in self._bindings:
            generated: Any = importlib.import_module(self.package)
            self._bindings[ref] = generated.get_binding(ref)
        return self._bindings[ref]

    def _client(self, journal: Journal, binding: Binding) -> AsyncClient:
        provider = binding.provider
        if provider not in self._clients:
            protocol: ProviderProtocol = importlib.import_module(
                f"{self.package}.{provider}"
            ).PROTOCOL
            rate = self.rate.get(provider) if isinstance(self.rate, Mapping) else self.rate
            limiter = self.limiters.setdefault(provider, AdaptiveRateLimiter(rate))
            limits = httpx.Limits(max_connections=max(self._limit(provider) * 2, 4))
            http = httpx.AsyncClient(
                transport=LimitedTransport(limiter, httpx.AsyncHTTPTransport(limits=limits)),
                follow_redirects=False,
                timeout=httpx.Timeout(60.0, connect=10.0, pool=None),
            )
            options = dict(self.client_options.get(provider, {}))
            self._clients[provider] = AsyncClient(
                protocol=protocol,
                journal=journal,
                http_client=http,
                poll=self.poll,
                idempotency_header=self.idempotency_header,
                **options,
            )
        return self._clients[provider]

    async def _close_clients(self) -> None:
        for client in self._clients.values():
            http = client._transport._client
            await client.close()
            await http.aclose()
        self._clients.clear()

    def _limit(self, provider: str) -> int:
        if isinstance(self.concurrency, Mapping):
            return max(1, int(self.concurrency.get(provider, DEFAULT_CONCURRENCY)))
        return max(1, int(self.concurrency))

    def _open_journal(self) -> tuple[Journal, bool]:
        if isinstance(self._journal_arg, Journal):
            return self._journal_arg, False
        return Journal(self._journal_arg), True

    # -- progress and report ------------------------------------------------------------

    def _tally(self, journal: Journal, rows: Mapping[str, BatchItem]) -> None:
        counts = dict.fromkeys(FINAL_STATUSES, 0)
        for row in rows.values():
            if row.status in counts:
                counts[row.status] += 1
            if row.currency and not self._currency:
                self._currency = row.currency
        self._counts = counts
        self._spent = journal.batch_spent(self.batch_id)
        self._progress()

    def _progress(self) -> None:
        if self._hook is None:
            return
        elapsed = time.monotonic() - self._started
        finished = sum(self._counts.values())
        left = len(self.items) - finished
        eta = None
        if self._finished_here and left >= 0:
            eta = elapsed / self._finished_here * left
        self._hook(
            BatchProgress(
                total=len(self.items),
                done=self._counts.get("done", 0),
                failed=self._counts.get("failed", 0),
                uncertain=self._counts.get("uncertain", 0),
                timed_out=self._counts.get("timed_out", 0),
                skipped=self._counts.get("skipped", 0),
                running=self._running,
                spent=self._spent,
                currency=self._currency,
                elapsed_s=elapsed,
                eta_s=eta,
            )
        )

    def _report(self, journal: Journal) -> BatchReport:
        rows = journal.batch_items([item.key for item in self.items])
        reports: list[ItemReport] = []
        currency = ""
        for item in self.items:
            row = rows[item.key]
            entry = _entry(journal, row.intent_id)
            currency = currency or row.currency or ""
            reports.append(
                ItemReport(
                    key=item.key,
                    label=item.label,
                    line=item.line,
                    ref=item.ref,
                    status=row.status,
                    intent_id=row.intent_id,
                    job_id=entry.job_id if entry is not None else None,
                    estimate=row.estimate,
                    cost=row.cost,
                    currency=row.currency,
                    error=row.error,
                    files=row.files,
                )
            )
        return BatchReport(
            batch_id=self.batch_id,
            items=reports,
            spent=journal.batch_spent(self.batch_id),
            currency=currency,
            elapsed_s=time.monotonic() - self._started,
            requests=sum(limiter.requests for limiter in self.limiters.values()),
            rate_limited=sum(limiter.limited for limiter in self.limiters.values()),
            duplicates=list(self.duplicates),
        )


def default_batch_id(items: Sequence[BatchRequest]) -> str:
    """The id of a batch: a hash of its items' keys (the same file, the same id)."""
    import hashlib

    digest = hashlib.sha256("\n".join(sorted(item.key for item in items)).encode())
    return digest.hexdigest()[:24]


def _entry(journal: Journal, intent_id: str | None) -> JournalEntry | None:
    if not intent_id:
        return None
    try:
        return journal.get(intent_id)
    except LookupError:
        return None


def _reported_cost(
    binding: Binding, meter: BillingMeter, journal: Journal, intent_id: str
) -> Decimal | None:
    """What the job cost by its answers: billed units times the price, else the estimate."""
    pricing = binding.pricing
    if meter.units is not None and pricing is not None and pricing.unit == "second":
        return meter.units * pricing.amount
    entry = _entry(journal, intent_id)
    if entry is not None and entry.cost and pricing and entry.cost_unit == pricing.currency:
        return Decimal(entry.cost)
    return None


def _with_absolute_paths(binding: Binding, item: BatchRequest) -> dict[str, Any]:
    """The item's input with relative local file paths made relative to its file's folder."""
    payload = dict(item.input)
    if item.folder is None or not binding.file_fields:
        return payload
    from musicbind.runtime.media import with_absolute_paths

    fields = binding.input_model.model_fields
    aliases = {name: info.alias or name for name, info in fields.items()}
    return dict(with_absolute_paths(binding.file_fields, payload, aliases, item.folder))


def _describe(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '(input)'}: {e['msg']}"
            for e in error.errors()[:5]
        ]
        return "invalid input: " + "; ".join(problems)
    text = str(error) or type(error).__name__
    return text if isinstance(error, MusicbindError) else f"{type(error).__name__}: {text}"


__all__ = [
    "Batch",
    "BatchProgress",
    "BatchReport",
    "BatchRequest",
    "ItemReport",
    "plain_decimal",
]
