"""Emulator: faults on demand, parsed from a spec string and drawn deterministically by seed.

Fault-spec syntax (the ``--faults`` option of ``musicbind emulate``, ``EmulatorServer(faults=...)``,
``POST /_emulator/faults``)::

    SPEC   := RULE ("," RULE)*
    RULE   := TARGET "=" KIND ["(" NUMBER ")"] [":" COUNT] ["@" SKIP] ["~" CHANCE]
    TARGET := PROVIDER "." OP
    PROVIDER := scenario | fal | aigateway | a generic provider's name | *
    OP     := submit | quote | status | result | cancel | upload | download | *
    COUNT  := how many requests the rule faults: an integer >= 1, or "*" for every one (default 1)
    SKIP   := how many matching requests pass untouched before the rule starts (default 0)
    CHANCE := probability in (0, 1] that a matching request faults, drawn from a
              random.Random seeded by (seed, rule index): the same seed gives the same faults

Examples: ``fal.submit=reset_after_accept``, ``scenario.status=429(0):2``,
``aigateway.status=503:3@1``, ``*.download=truncate``, ``fal.status=500:*~0.3``.

Operations: ``submit`` (a paid submission), ``quote`` (Scenario's dry run), ``status`` (a poll),
``result`` (fal's result fetch; Scenario's ``GET /v1/assets/{id}``), ``cancel``, ``upload``
(Scenario's ``POST /v1/assets``, fal's storage upload) and ``download`` (a result file).
The gateway has no ``result`` operation: its result rides on the status answer. A generic
provider (one bound from its OpenAPI document alone) has ``submit``, ``status``, ``cancel``
and ``download``; the rules name it by its provider name once the emulator serves it.

Kinds, by when they act:

* before the request is handled (nothing is accepted, nothing is charged):
  an HTTP status ``400``-``599`` in the provider's error shape (``429`` carries ``Retry-After``:
  the argument in seconds, default 1; a fractional argument adds ``retry-after-ms``);
  ``reset`` (the connection is reset with no answer); ``redirect`` (``307`` to the same path
  on the emulator's second origin, a different port).
* after the request is handled (a submit IS accepted and charged):
  ``reset_after_accept`` (alias ``reset_after``: the answer is lost, the connection reset: the
  double-charge trap); ``slow`` (the answer waits the argument in seconds, default 2);
  ``malformed`` (the JSON body is cut in half); ``truncate`` (the body stops half way, the
  connection closes); ``bad_length`` (``Content-Length`` promises more bytes than are sent);
  ``unknown_status`` (status answers only: a status word the provider never documented).
* on the job a submit creates (submit only): ``fail`` (the job fails; fal: COMPLETED with an
  error), ``fail_422`` (fal: the result fetch answers 422 with a pydantic-style detail; elsewhere
  as ``fail``), ``cancel`` (the provider cancels it), ``stall`` (it never leaves running).
* on a cancel (cancel only): ``cancel_ignored`` (acknowledged, but the job still succeeds).
* a rate limit: ``rate(N)`` answers ``429`` (with the ``Retry-After`` until a slot frees) to
  every matching request beyond N in any one-second window; COUNT defaults to ``*``. For
  example ``fal.*=rate(20)``: at most 20 fal requests a second are handled.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace

PROVIDERS: tuple[str, ...] = ("scenario", "fal", "aigateway")
OPERATIONS: tuple[str, ...] = (
    "submit",
    "quote",
    "status",
    "result",
    "cancel",
    "upload",
    "download",
)
PROVIDER_OPERATIONS: dict[str, frozenset[str]] = {
    "scenario": frozenset({"submit", "quote", "status", "result", "cancel", "upload", "download"}),
    "fal": frozenset({"submit", "status", "result", "cancel", "upload", "download"}),
    "aigateway": frozenset({"submit", "status", "cancel", "download"}),
}

GENERIC_OPERATIONS = frozenset({"submit", "status", "cancel", "download"})

BEFORE_KINDS = frozenset({"reset", "redirect"})
AFTER_KINDS = frozenset(
    {"reset_after_accept", "slow", "malformed", "truncate", "bad_length", "unknown_status"}
)
JOB_KINDS = frozenset({"fail", "fail_422", "cancel", "stall"})
CANCEL_KINDS = frozenset({"cancel_ignored"})
ALIASES = {"reset_after": "reset_after_accept"}
RATE_KIND = "rate"
NAMED_KINDS = BEFORE_KINDS | AFTER_KINDS | JOB_KINDS | CANCEL_KINDS | {RATE_KIND}
DEFAULT_ARGUMENT = {"429": 1.0, "slow": 2.0}

_RULE = re.compile(
    r"""^(?P<provider>\*|[a-z][a-z0-9_-]*)\.(?P<op>[a-z*]+)
        =(?P<kind>[a-z0-9_]+)
        (?:\((?P<arg>[0-9]+(?:\.[0-9]+)?)\))?
        (?::(?P<count>[0-9]+|\*))?
        (?:@(?P<skip>[0-9]+))?
        (?:~(?P<chance>[0-9]*\.?[0-9]+))?$""",
    re.VERBOSE,
)


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed; the message names the rule and what is wrong."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One parsed rule: which requests it matches and what it does to them."""

    provider: str  # a provider name or "*"
    op: str  # an operation name or "*"
    kind: str  # "429", "503", "reset", "slow", ... (aliases resolved)
    argument: float | None = None
    count: int | None = 1  # None: every matching request
    skip: int = 0
    chance: float | None = None
    retry_after: float | None = None  # set on a fired ``rate`` rule: when a slot frees

    @property
    def status_code(self) -> int | None:
        """The HTTP status this rule answers with, for the numeric kinds (and ``rate``)."""
        if self.kind == RATE_KIND:
            return 429
        return int(self.kind) if self.kind.isdigit() else None

    @property
    def phase(self) -> str:
        """When the rule acts: "before", "after", "job" or "cancel"."""
        if self.status_code is not None or self.kind in BEFORE_KINDS:
            return "before"
        if self.kind in AFTER_KINDS:
            return "after"
        return "job" if self.kind in JOB_KINDS else "cancel"

    def matches(self, provider: str, op: str) -> bool:
        """True when a request to ``provider``'s ``op`` falls under this rule."""
        return self.provider in ("*", provider) and self.op in ("*", op)

    def describe(self) -> str:
        """The rule written back in spec syntax."""
        text = f"{self.provider}.{self.op}={self.kind}"
        if self.argument is not None:
            text += f"({self.argument:g})"
        text += ":*" if self.count is None else f":{self.count}"
        if self.skip:
            text += f"@{self.skip}"
        if self.chance is not None:
            text += f"~{self.chance:g}"
        return text


def parse_fault_spec(spec: str, generic: Iterable[str] = ()) -> tuple[FaultRule, ...]:
    """Parse a fault spec (see the module docstring); raise FaultSpecError naming the bad rule.

    ``generic``: the names of the generic providers the emulator serves besides the three.
    """
    operations = dict(PROVIDER_OPERATIONS)
    operations.update({name: GENERIC_OPERATIONS for name in generic if name not in operations})
    rules: list[FaultRule] = []
    for index, raw in enumerate(spec.split(","), start=1):
        text = "".join(raw.split())
        if not text:
            continue
        rules.append(_parse_rule(index, text, operations))
    return tuple(rules)


def _parse_rule(index: int, text: str, operations: dict[str, frozenset[str]]) -> FaultRule:
    where = f"fault rule {index} {text!r}"
    match = _RULE.match(text)
    if match is None:
        raise FaultSpecError(
            f"{where}: expected PROVIDER.OP=KIND[(ARG)][:COUNT][@SKIP][~CHANCE], "
            "for example fal.submit=reset_after_accept:1"
        )
    provider, op = match["provider"], match["op"]
    kind = ALIASES.get(match["kind"], match["kind"])
    if provider != "*" and provider not in operations:
        raise FaultSpecError(
            f"{where}: unknown provider {provider!r} (expected one of {', '.join(operations)} or *)"
        )
    if op != "*" and op not in OPERATIONS:
        raise FaultSpecError(
            f"{where}: unknown operation {op!r} (expected one of {', '.join(OPERATIONS)} or *)"
        )
    if provider != "*" and op != "*" and op not in operations[provider]:
        raise FaultSpecError(
            f"{where}: {provider} has no {op!r} operation (it has "
            f"{', '.join(sorted(operations[provider]))})"
        )
    if kind.isdigit():
        if not 400 <= int(kind) <= 599:
            raise FaultSpecError(f"{where}: HTTP status {kind} is not an error (use 400-599)")
    elif kind not in NAMED_KINDS:
        raise FaultSpecError(
            f"{where}: unknown fault kind {kind!r} (expected an HTTP status "
            f"400-599 or one of {', '.join(sorted(NAMED_KINDS | set(ALIASES)))})"
        )
    if kind in JOB_KINDS and op != "submit":
        raise FaultSpecError(f"{where}: {kind!r} acts on the job a submit creates: use OP submit")
    if kind in CANCEL_KINDS and op != "cancel":
        raise FaultSpecError(f"{where}: {kind!r} acts on a cancel: use OP cancel")
    if kind == "unknown_status" and op not in ("status", "*"):
        raise FaultSpecError(f"{where}: 'unknown_status' acts on status answers: use OP status")
    argument = float(match["arg"]) if match["arg"] is not None else DEFAULT_ARGUMENT.get(kind)
    count_text = match["count"]
    if kind == RATE_KIND:
        if argument is None or argument <= 0:
            raise FaultSpecError(f"{where}: 'rate' needs its limit, e.g. rate(20)")
        count_text = count_text or "*"
    count = None if count_text == "*" else int(count_text or "1")
    if count is not None and count < 1:
        raise FaultSpecError(f"{where}: COUNT must be at least 1 (or * for every request)")
    chance = float(match["chance"]) if match["chance"] is not None else None
    if chance is not None and not 0.0 < chance <= 1.0:
        raise FaultSpecError(f"{where}: CHANCE must be in (0, 1]")
    return FaultRule(provider, op, kind, argument, count, int(match["skip"] or "0"), chance)


@dataclass(slots=True)
class _RuleState:
    seen: int = 0
    fired: int = 0


class FaultPlan:
    """The rules of one run with their counters; ``take`` decides, thread-safely, per request."""

    def __init__(self, rules: tuple[FaultRule, ...] = (), seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._seed = seed
        self._rules: tuple[FaultRule, ...] = ()
        self._states: list[_RuleState] = []
        self._random: list[random.Random] = []
        self.replace(rules)

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        """The active rules, in spec order."""
        return self._rules

    def replace(self, rules: tuple[FaultRule, ...]) -> None:
        """Swap in new rules with fresh counters (and fresh seeded draws)."""
        with self._lock:
            self._rules = tuple(rules)
            self._states = [_RuleState() for _ in rules]
            self._random = [random.Random(f"{self._seed}:{i}") for i in range(len(rules))]  # noqa: S311
            self._windows: list[deque[float]] = [deque() for _ in rules]

    def take(self, provider: str, op: str, phases: frozenset[str]) -> FaultRule | None:
        """The first rule in ``phases`` that fires for this request, counting it as used."""
        with self._lock:
            chosen: FaultRule | None = None
            for rule, state, draw, window in zip(
                self._rules, self._states, self._random, self._windows, strict=True
            ):
                if rule.phase not in phases or not rule.matches(provider, op):
                    continue
                state.seen += 1
                if chosen is not None or state.seen <= rule.skip:
                    continue
                if rule.count is not None and state.fired >= rule.count:
                    continue
                if rule.chance is not None and draw.random() >= rule.chance:
                    continue
                if rule.kind == RATE_KIND:
                    limited = self._rate_limited(rule, window)
                    if limited is None:
                        continue
                    rule = limited
                state.fired += 1
                chosen = rule
            return chosen

    @staticmethod
    def _rate_limited(rule: FaultRule, window: deque[float]) -> FaultRule | None:
        """The fired rule when ``rule``'s one-second window is full; else the request counts."""
        now = time.monotonic()
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) < (rule.argument or 0):
            window.append(now)
            return None
        return replace(rule, retry_after=max(0.001, window[0] + 1.0 - now))

    def remaining(self) -> list[dict[str, object]]:
        """Per rule: its spec text and how often it has fired (for the admin endpoint)."""
        with self._lock:
            return [
                {"rule": rule.describe(), "fired": state.fired, "seen": state.seen}
                for rule, state in zip(self._rules, self._states, strict=True)
            ]
