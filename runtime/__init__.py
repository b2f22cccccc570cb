"""Runtime: the small httpx transport the generated clients use (never imports generator).

This module is the runtime's public API: generated packages import only from
``musicbind.runtime``. The names load lazily, so importing it (every generated module
does) costs nothing until a client is used::

    from musicbind.runtime import Client, Job, JobState, RetryPolicy, errors
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from musicbind.runtime import errors
    from musicbind.runtime.bases import ChoiceInputModel, InputModel, OutputModel
    from musicbind.runtime.batch import Batch, BatchReport
    from musicbind.runtime.batch_items import BatchRequest
    from musicbind.runtime.binding import (
        Binding,
        HttpOperation,
        JobOperations,
        PriceRule,
        ProviderProtocol,
        UnknownStatusError,
    )
    from musicbind.runtime.client import AsyncClient, Client
    from musicbind.runtime.client_core import Payload
    from musicbind.runtime.clock import Clock
    from musicbind.runtime.given import NOT_GIVEN, UNSET, NotGiven, present
    from musicbind.runtime.index import BindingIndex
    from musicbind.runtime.jobs import AsyncJob, Job, OutT, ProgressCallback
    from musicbind.runtime.jobstate import JobState
    from musicbind.runtime.journal import Journal, JournalEntry, default_journal_path
    from musicbind.runtime.polling import PollPolicy
    from musicbind.runtime.protocol_outputs import (
        RawOutput,
        ScenarioAsset,
        ScenarioAssetMetadata,
        ScenarioJobOutput,
    )
    from musicbind.runtime.providers import JobSnapshot, Quote
    from musicbind.runtime.retry import RetryPolicy
    from musicbind.runtime.rules import excludes, required_when, requires, segment_within_media
    from musicbind.runtime.secrets import Secret
    from musicbind.runtime.webhooks import WebhookTarget

_WHERE = {
    "AsyncClient": "musicbind.runtime.client",
    "AsyncJob": "musicbind.runtime.client",  # with its client, for Job.from_journal
    "Batch": "musicbind.runtime.batch",
    "BatchReport": "musicbind.runtime.batch",
    "BatchRequest": "musicbind.runtime.batch_items",
    "Binding": "musicbind.runtime.binding",
    "BindingIndex": "musicbind.runtime.index",
    "ChoiceInputModel": "musicbind.runtime.bases",
    "Client": "musicbind.runtime.client",
    "Clock": "musicbind.runtime.clock",
    "HttpOperation": "musicbind.runtime.binding",
    "InputModel": "musicbind.runtime.bases",
    "Job": "musicbind.runtime.client",
    "JobOperations": "musicbind.runtime.binding",
    "JobSnapshot": "musicbind.runtime.providers",
    "JobState": "musicbind.runtime.jobstate",
    "Journal": "musicbind.runtime.journal",
    "JournalEntry": "musicbind.runtime.journal",
    "NOT_GIVEN": "musicbind.runtime.given",
    "NotGiven": "musicbind.runtime.given",
    "OutT": "musicbind.runtime.jobs",
    "OutputModel": "musicbind.runtime.bases",
    "Payload": "musicbind.runtime.client_core",
    "PollPolicy": "musicbind.runtime.polling",
    "PriceRule": "musicbind.runtime.binding",
    "ProgressCallback": "musicbind.runtime.jobs",
    "ProviderProtocol": "musicbind.runtime.binding",
    "Quote": "musicbind.runtime.providers",
    "RawOutput": "musicbind.runtime.protocol_outputs",
    "RetryPolicy": "musicbind.runtime.retry",
    "ScenarioAsset": "musicbind.runtime.protocol_outputs",
    "ScenarioAssetMetadata": "musicbind.runtime.protocol_outputs",
    "ScenarioJobOutput": "musicbind.runtime.protocol_outputs",
    "Secret": "musicbind.runtime.secrets",
    "UNSET": "musicbind.runtime.given",
    "UnknownStatusError": "musicbind.runtime.binding",
    "WebhookTarget": "musicbind.runtime.webhooks",
    "default_journal_path": "musicbind.runtime.journal",
    "present": "musicbind.runtime.given",
    "segment_within_media": "musicbind.runtime.rules",
    "requires": "musicbind.runtime.rules",
    "excludes": "musicbind.runtime.rules",
    "required_when": "musicbind.runtime.rules",
}

__all__ = [
    "NOT_GIVEN",
    "UNSET",
    "AsyncClient",
    "AsyncJob",
    "Batch",
    "BatchReport",
    "BatchRequest",
    "Binding",
    "BindingIndex",
    "ChoiceInputModel",
    "Client",
    "Clock",
    "HttpOperation",
    "InputModel",
    "Job",
    "JobOperations",
    "JobSnapshot",
    "JobState",
    "Journal",
    "JournalEntry",
    "NotGiven",
    "OutT",
    "OutputModel",
    "Payload",
    "PollPolicy",
    "PriceRule",
    "ProgressCallback",
    "ProviderProtocol",
    "Quote",
    "RawOutput",
    "RetryPolicy",
    "ScenarioAsset",
    "ScenarioAssetMetadata",
    "ScenarioJobOutput",
    "Secret",
    "UnknownStatusError",
    "WebhookTarget",
    "default_journal_path",
    "errors",
    "excludes",
    "present",
    "required_when",
    "requires",
    "segment_within_media",
]


def __getattr__(name: str) -> Any:
    if name == "errors":
        return importlib.import_module("musicbind.runtime.errors")
    if name not in _WHERE:
        raise AttributeError(f"module 'musicbind.runtime' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    # Kept, so the next import of the name (every generated module's) is a plain lookup.
    globals()[name] = value
    return value
