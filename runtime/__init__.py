"""Runtime: the small httpx transport the generated clients use (never imports generator).

The public names load lazily, so ``import runtime`` (done by every generated module)
costs nothing until a client is used::

    from runtime import Client, Job, JobState, RetryPolicy, errors
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime import errors
    from runtime.binding import Binding, PriceRule, ProviderProtocol, UnknownStatusError
    from runtime.client import AsyncClient, Client
    from runtime.clock import Clock
    from runtime.jobs import AsyncJob, Job, RawOutput
    from runtime.jobstate import JobState
    from runtime.journal import Journal, JournalEntry, default_journal_path
    from runtime.polling import PollPolicy
    from runtime.providers import JobSnapshot, Quote
    from runtime.retry import RetryPolicy
    from runtime.secrets import Secret

_WHERE = {
    "AsyncClient": "runtime.client",
    "AsyncJob": "runtime.jobs",
    "Binding": "runtime.binding",
    "Client": "runtime.client",
    "Clock": "runtime.clock",
    "Job": "runtime.jobs",
    "JobSnapshot": "runtime.providers",
    "JobState": "runtime.jobstate",
    "Journal": "runtime.journal",
    "JournalEntry": "runtime.journal",
    "PollPolicy": "runtime.polling",
    "PriceRule": "runtime.binding",
    "ProviderProtocol": "runtime.binding",
    "Quote": "runtime.providers",
    "RawOutput": "runtime.jobs",
    "RetryPolicy": "runtime.retry",
    "Secret": "runtime.secrets",
    "UnknownStatusError": "runtime.binding",
    "default_journal_path": "runtime.journal",
}

__all__ = [
    "AsyncClient",
    "AsyncJob",
    "Binding",
    "Client",
    "Clock",
    "Job",
    "JobSnapshot",
    "JobState",
    "Journal",
    "JournalEntry",
    "PollPolicy",
    "PriceRule",
    "ProviderProtocol",
    "Quote",
    "RawOutput",
    "RetryPolicy",
    "Secret",
    "UnknownStatusError",
    "default_journal_path",
    "errors",
]


def __getattr__(name: str) -> Any:
    if name == "errors":
        return importlib.import_module("runtime.errors")
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
