"""A hand-written bindings package with generic (OpenAPI-bound) providers, for emulator tests.

It has the shape ``musicbind generate`` gives a user's package: ``list_bindings`` /
``get_binding`` at the top, and per provider a subpackage with ``PROTOCOL`` and ``MODELS``
and one module per model holding ``BINDING``. Five providers, one per auth scheme:

* ``tunesmith`` (bearer): ``compose`` (JSON answer), ``render`` (binary ``audio/mpeg``),
  ``song`` (a job: ``POST /v2/songs`` -> ``{"task_id"}``, ``GET /v2/tasks/{task_id}``,
  ``POST /v2/tasks/{task_id}/cancel``), ``remix`` (multipart: form fields and files),
  ``sing`` (a path parameter ``voice`` and a query parameter ``take``);
* ``hdrtunes`` (key in the ``X-Api-Key`` header, read from ``HDRTUNES_TOKEN``),
  ``qtunes`` (key in the ``api_key`` query parameter), ``btunes`` (HTTP basic) and
  ``opentunes`` (no auth): each one ``compose`` model;
* ``fal:acme/tune`` and ``aigateway:acme/tune``: models of the named providers that the
  emulator has no hand-written answer for (their results come from the output model).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

PACKAGE = "emugen_bindings"

_TOP = """
from musicbind.runtime import BindingIndex

_INDEX = BindingIndex(
    __name__,
    {
        "tunesmith:compose": "tunesmith.compose",
        "tunesmith:render": "tunesmith.render",
        "tunesmith:song": "tunesmith.song",
        "tunesmith:remix": "tunesmith.remix",
        "tunesmith:sing": "tunesmith.sing",
        "hdrtunes:compose": "hdrtunes.compose",
        "qtunes:compose": "qtunes.compose",
        "btunes:compose": "btunes.compose",
        "opentunes:compose": "opentunes.compose",
        "fal:acme/tune": "named.fal_tune",
        "aigateway:acme/tune": "named.aigateway_tune",
    },
    api=1,
)
list_bindings = _INDEX.list_bindings
get_binding = _INDEX.get_binding
"""

_MODELS = """
from decimal import Decimal
from typing import Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from musicbind.runtime import UNSET, InputModel, OutputModel


class ComposeInput(InputModel):
    prompt: StrictStr = Field(min_length=1, max_length=200)
    duration: StrictFloat = Field(default=UNSET, ge=5, le=120)
    num_tracks: StrictInt = Field(default=UNSET, ge=1, le=4, alias="numTracks")
    instrumental: StrictBool = UNSET


class Track(OutputModel):
    url: StrictStr
    content_type: StrictStr | None = None
    duration: StrictFloat = Field(ge=0)


class ComposeOutput(OutputModel):
    tracks: list[Track] = Field(min_length=1)
    title: StrictStr = Field(min_length=3, max_length=12)
    bpm: StrictInt = Field(ge=60, le=200, multiple_of=4)
    mood: Literal["calm", "bright"]
    cover_url: StrictStr | None = None


class RenderInput(InputModel):
    text: StrictStr
    voice: Literal["alto", "tenor"] = UNSET


class SongStatus(OutputModel):
    task_id: StrictStr
    state: Literal["pending", "processing", "done", "error", "cancelled"]
    error: StrictStr | None = None
    audio: list[Track] = Field(min_length=1)
    seconds: StrictFloat = Field(gt=0)


class RemixInput(InputModel):
    source: StrictStr
    mask: bytes = UNSET
    strength: StrictFloat = Field(ge=0, le=1)
    tags: list[StrictStr] = UNSET


class SingInput(InputModel):
    text: StrictStr
    voice: Literal["alto", "tenor"]
    take: StrictInt = Field(default=UNSET, ge=1)


class RemixOutput(OutputModel):
    audio_url: StrictStr
"""


def _protocol(name: str, auth: str, operations: str, **extra: str) -> str:
    more = "".join(f"    {key}={value},\n" for key, value in extra.items())
    return f'''
from musicbind.runtime import HttpOperation, JobOperations, JobState, ProviderProtocol

PROTOCOL = ProviderProtocol(
    name="{name}",
    display_name="{name.title()}",
    base_url="https://api.{name}.example",
    auth="{auth}",
    adapter="openapi",
    statuses={{
        "pending": JobState.QUEUED,
        "processing": JobState.RUNNING,
        "done": JobState.SUCCEEDED,
        "error": JobState.FAILED,
        "cancelled": JobState.CANCELED,
    }},
    operations={{{operations}}},
{more})
MODELS = {{}}
'''


def _binding(
    provider: str, model_id: str, input_model: str, output_model: str, extra: str = ""
) -> str:
    return f'''
from decimal import Decimal

from musicbind.runtime import Binding, PriceRule
from {PACKAGE}._models import {input_model}{", " + output_model if output_model != "None" else ""}

BINDING = Binding(
    ref="{provider}:{model_id}",
    provider="{provider}",
    model_id="{model_id}",
    method_name="{model_id}",
    input_model={input_model},
    output_model={output_model},
{extra})
'''


_PRICE = """    pricing=PriceRule(
        currency="USD", amount=Decimal("0.01"), unit="second", seconds_from="duration"
    ),
"""

_TUNESMITH_OPERATIONS = """
        "compose": HttpOperation("POST", "/v1/compose"),
        "render": HttpOperation("POST", "/v1/render", answer="binary", media_type="audio/mpeg"),
        "song": HttpOperation(
            "POST",
            "/v2/songs",
            answer="job",
            job=JobOperations(
                id_field="task_id",
                status_path="/v2/tasks/{task_id}",
                status_field="state",
                error_field="error",
                cancel_method="POST",
                cancel_path="/v2/tasks/{task_id}/cancel",
            ),
        ),
        "remix": HttpOperation("POST", "/v1/remix", body="multipart", files=("source", "mask")),
        "sing": HttpOperation(
            "POST", "/v1/voices/{voice}/sing", path_params=("voice",), query_params=("take",)
        ),
"""

_COMPOSE_ONLY = '\n        "compose": HttpOperation("POST", "/compose"),\n'


def write_package(root: Path) -> Path:
    """Write the package below ``root`` (put ``root`` on sys.path to import it)."""
    files: dict[str, str] = {
        "__init__.py": _TOP,
        "_models.py": _MODELS,
        "tunesmith/__init__.py": _protocol("tunesmith", "bearer", _TUNESMITH_OPERATIONS),
        "tunesmith/compose.py": _binding(
            "tunesmith", "compose", "ComposeInput", "ComposeOutput", _PRICE
        ),
        "tunesmith/render.py": _binding("tunesmith", "render", "RenderInput", "None"),
        "tunesmith/song.py": _binding("tunesmith", "song", "ComposeInput", "SongStatus", _PRICE),
        "tunesmith/remix.py": _binding("tunesmith", "remix", "RemixInput", "RemixOutput"),
        "tunesmith/sing.py": _binding("tunesmith", "sing", "SingInput", "RemixOutput"),
        "hdrtunes/__init__.py": _protocol(
            "hdrtunes", "header", _COMPOSE_ONLY, auth_name='"X-Api-Key"', key_env='"HDRTUNES_TOKEN"'
        ),
        "qtunes/__init__.py": _protocol("qtunes", "query", _COMPOSE_ONLY, auth_name='"api_key"'),
        "btunes/__init__.py": _protocol("btunes", "basic", _COMPOSE_ONLY),
        "opentunes/__init__.py": _protocol("opentunes", "none", _COMPOSE_ONLY),
    }
    for provider in ("hdrtunes", "qtunes", "btunes", "opentunes"):
        files[f"{provider}/compose.py"] = _binding(
            provider, "compose", "ComposeInput", "ComposeOutput"
        )
    files["named/__init__.py"] = ""
    files["named/fal_tune.py"] = _binding("fal", "acme/tune", "ComposeInput", "ComposeOutput")
    files["named/aigateway_tune.py"] = _binding(
        "aigateway", "acme/tune", "ComposeInput", "ComposeOutput"
    )
    package = root / PACKAGE
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return package
