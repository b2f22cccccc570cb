"""Runtime: the AIgateway async-job protocol: the generic adapter with the gateway's data.

Every call is the registry's data (``PROTOCOL.operations``, from the gateway's OpenAPI
document through ``generator/providers/aigateway.py``): submit ``POST`` to the operation's
path (``/v1/audio/music``) -> 202 ``{"id", "status"}``; status ``GET job.status_path``
(``/v1/jobs/{id}``) -> ``{"status", "result": {"url", "duration"}, "error"}``; cancel
``job.cancel_method job.cancel_path`` (``DELETE``: cancels a queued job; 409 when it is too
late), then the job is read again. What the gateway adds to the generic provider:

- the body names the model: ``{"model": <model id>, ...}`` (one endpoint serves them all);
- the result is the completed job's ``result`` object, not the whole job record;
- base URLs with or without a trailing ``/v1`` both work;
- file inputs are public URLs (nothing is uploaded); errors are
  ``{"error": {"message", "type", "code"}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from musicbind.runtime.binding import HttpOperation
from musicbind.runtime.errors import APIResponseError, ConfigurationError
from musicbind.runtime.providers.base import Exchange, FileRef, JobHandle, ProviderAdapter
from musicbind.runtime.providers.generic import GenericAdapter

MODEL_FIELD = "model"  # the body field that chooses the model
RESULT_FIELD = "result"  # the completed job's output
_API_PREFIX = "/v1"


class GatewayAdapter(GenericAdapter):
    """AIgateway: Bearer key, one job endpoint for every async model (paths from the registry)."""

    name = "aigateway"
    accepts_local_files = False  # file inputs are public URLs

    def operation(self, model_id: str) -> HttpOperation:
        """The model's call. One endpoint serves every model, so a model the protocol does
        not list (one newer than the bindings) takes the shared call."""
        found = self.operations.get(model_id) or next(iter(self.operations.values()), None)
        if found is None:
            raise ConfigurationError(
                "this AIgateway protocol states no endpoints (bindings, or a journal entry, "
                "from before they were read from the gateway's document): regenerate the "
                "bindings, or resume the job with the generated client (`musicbind resume`)",
                provider=self.protocol.name,
            )
        return found

    def url(self, path: str) -> str:
        """Base URL + path, once ``/v1`` even when the base URL ends with it."""
        if self.base_url.endswith(_API_PREFIX) and path.startswith(_API_PREFIX + "/"):
            path = path[len(_API_PREFIX) :]
        return super().url(path)

    def request_values(self, model_id: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        return {MODEL_FIELD: model_id, **payload}

    def result(self, handle: JobHandle) -> Exchange[dict[str, Any]]:
        job = yield from super().result(handle)
        result = job.get(RESULT_FIELD)
        if not isinstance(result, dict):
            raise APIResponseError(f"the completed aigateway job has no {RESULT_FIELD!r} object")
        return result

    def upload(self, path: Path) -> Exchange[str]:
        return (yield from ProviderAdapter.upload(self, path))

    def file_refs(self, result: Mapping[str, Any]) -> list[FileRef]:
        return ProviderAdapter.file_refs(self, result)
