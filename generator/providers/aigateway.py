"""Generator: AIgateway's unit: how its OpenAPI document's endpoints become the job protocol.

The gateway serves every async model through one endpoint: its document states the submit
(``POST /v1/audio/music``, the model chosen by the body's ``model``), the job read
(``GET /v1/jobs/{id}``) and its cancel (``DELETE`` on that path), but no answer schemas. The
job record's fields (``id``, ``status``, ``error``) are the model pages' words. This unit
turns them into the registry's :class:`~generator.load.records.SpecOperation` of each model
the endpoint serves; the runtime's ``runtime/providers/aigateway.py`` reads the paths from
the generated ``PROTOCOL.operations``, never from literals.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from musicbind.generator.load.records import JsonValue, SpecJob, SpecOperation

NAME = "aigateway"
ID_FIELD = "id"  # the submit answer {"id": "job_...", "status": "queued", ...}
STATUS_FIELD = "status"
ERROR_FIELD = "error"  # {"error": {"code", "message"}} on a failed job
_PLACEHOLDER = re.compile(r"\{[^{}/]+\}")


def endpoint_operation(paths: Mapping[str, JsonValue], submit_path: str) -> SpecOperation | None:
    """The job operation of the endpoint ``POST submit_path``: read with the document's
    ``GET`` path ending in one placeholder that shares the longest prefix with it, canceled
    with ``DELETE`` on that path when the document states one; None without a job path."""
    best: tuple[int, str, Mapping[str, JsonValue]] | None = None
    for path, item in sorted(paths.items()):
        placeholders = _PLACEHOLDER.findall(path)
        if len(placeholders) != 1 or not path.endswith(placeholders[0]):
            continue
        if not isinstance(item, dict) or not isinstance(item.get("get"), dict):
            continue
        shared = _shared_segments(submit_path, path)
        if best is None or shared > best[0]:
            best = (shared, path, item)
    if best is None:
        return None
    _, status_path, methods = best
    cancels = isinstance(methods.get("delete"), dict)
    return SpecOperation(
        method="POST",
        path=submit_path,
        answer="job",
        job=SpecJob(
            id_field=ID_FIELD,
            status_path=status_path,
            status_field=STATUS_FIELD,
            error_field=ERROR_FIELD,
            cancel_method="DELETE" if cancels else None,
            cancel_path=status_path if cancels else None,
        ),
    )


def _shared_segments(a: str, b: str) -> int:
    """How many leading path segments two document paths share (0 for a malformed path)."""
    try:
        return len(posixpath.commonpath([a, b]).split("/"))
    except ValueError:  # a relative path beside an absolute one
        return 0
