"""Tooling: where each provider publishes a model's documents (for ``musicbind add``).

One table, from the providers' own documentation:

* fal: the per-endpoint queue OpenAPI document
  (``https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<id>``) and the model page
  in its LLM markdown form (``https://fal.ai/models/<id>/llms.txt``);
* Scenario: the model's "LLM Markdown" page its parameter references link to
  (``https://app.scenario.com/api/models/<id>/markdown``);
* AIgateway: the model page (``https://aigateway.sh/models/<id>``).

Each document is stored as ``<provider>/<id with / as ->.<suffix>`` under specs/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True, slots=True)
class Location:
    """One document of a model: its kind, where it is published, where it is stored."""

    kind: str
    origin: str  # with {id} (URL-quoted) for the model id
    suffix: str

    def url(self, model_id: str) -> str:
        """The origin of ``model_id``'s document."""
        return self.origin.format(id=quote(model_id, safe="/"))


LOCATIONS: dict[str, tuple[Location, ...]] = {
    "fal": (
        Location(
            "openapi",
            "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id={id}",
            ".openapi.json",
        ),
        Location("fal-page", "https://fal.ai/models/{id}/llms.txt", ".md"),
    ),
    "scenario": (
        Location("scenario-table", "https://app.scenario.com/api/models/{id}/markdown", ".md"),
    ),
    "aigateway": (Location("gateway-page", "https://aigateway.sh/models/{id}", ".md"),),
}

# A model id as the providers write them: fal's owner/name/version paths, Scenario's
# model_x-y ids, the gateway's slugs. No "..", no leading or doubled "/".
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")


def model_id_problem(model_id: str) -> str | None:
    """Why ``model_id`` cannot be added, or None."""
    if not _MODEL_ID.fullmatch(model_id) or ".." in model_id or len(model_id) > 200:
        return (
            f"{model_id[:80]!r} is not a model id (letters, digits, '.', '_', '-' and "
            "'/' between parts, such as sonilo/v1.1/video-to-music)"
        )
    return None


def stored_name(model_id: str, location: Location) -> str:
    """The file name a document is stored under: ``sonilo-v1.1-video-to-music.md``."""
    return model_id.replace("/", "-") + location.suffix
