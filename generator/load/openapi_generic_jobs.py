"""Load stage: what a generic operation answers, and the job behind it (status GET, cancel).

The answer is ``binary`` when the first success answer is ``audio/*`` or
``application/octet-stream``, ``json`` when it has a JSON schema, else ``none``. A JSON answer
that names an id (``id``, ``job_id``, ``task_id``, ... at its top or in an envelope such as
``data``) starts a job when a GET ``.../{id}`` operation answers an object with a ``status``
(or ``state``) property; its enum words are mapped onto JobState values by their meaning.
Read for :mod:`generator.load.openapi_generic`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from musicbind.generator.load.located import pointer_child
from musicbind.generator.load.openapi_document import OpenApiDocument, as_mapping, show
from musicbind.generator.load.openapi_structure import object_parts
from musicbind.generator.load.records import JsonValue, SpecJob

_SUCCESS = ("200", "201", "202")
_ID_NAMES = (
    "id",
    "job_id",
    "jobId",
    "task_id",
    "taskId",
    "request_id",
    "requestId",
    "generation_id",
    "generationId",
    "uuid",
)
_STATUS_NAMES = ("status", "state")
_ENVELOPES = ("data", "result", "job", "task", "response")  # objects an id may sit in
_ERROR_NAMES = ("error", "error_message", "errorMessage", "failure_reason", "message", "detail")
_BINARY_TYPES = ("application/octet-stream",)

# Status words by meaning; compared after lower-casing and dropping "-", "_" and spaces.
_STATE_WORDS = {
    "QUEUED": {
        "queued",
        "pending",
        "waiting",
        "submitted",
        "created",
        "accepted",
        "new",
        "scheduled",
        "inqueue",
        "starting",
    },
    "RUNNING": {
        "running",
        "processing",
        "inprogress",
        "generating",
        "started",
        "working",
        "active",
        "rendering",
        "streaming",
        "finalizing",
    },
    "SUCCEEDED": {
        "succeeded",
        "success",
        "successful",
        "completed",
        "complete",
        "done",
        "finished",
        "ready",
        "ok",
    },
    "FAILED": {"failed", "failure", "error", "errored", "rejected", "timeout", "timedout"},
    "CANCELED": {"canceled", "cancelled", "aborted", "stopped"},
}


@dataclass(frozen=True, slots=True)
class Answer:
    """What an operation answers: its kind, the JSON schema and where it is, the media type."""

    kind: str  # "json", "binary", "none"
    schema: JsonValue = None
    pointer: str = ""
    media_type: str | None = None


def state_of_word(word: str) -> str | None:
    """The JobState value a status word means (``"in_progress"`` -> ``"RUNNING"``), or None."""
    folded = re.sub(r"[\s_\-]+", "", word.lower())
    for state, words in _STATE_WORDS.items():
        if folded in words:
            return state
    return None


class AnswerReader:
    """Reads operations' answers and finds the job a submit starts; collects status words."""

    def __init__(
        self,
        doc: OpenApiDocument,
        root: dict[str, JsonValue],
        swagger: bool,
        paths: dict[str, JsonValue],
    ) -> None:
        self.doc = doc
        self.root = root
        self.swagger = swagger
        self.paths = paths
        self.statuses: dict[str, str] = {}  # status word -> JobState value

    def answer(self, operation: dict[str, JsonValue], pointer: str) -> Answer:
        responses = as_mapping(operation.get("responses")) or {}
        responses_pointer = pointer_child(pointer, "responses")
        for code in _SUCCESS:
            if code not in responses:
                continue
            target = self.doc.follow(responses[code], pointer_child(responses_pointer, code))
            response = as_mapping(target.value) if target else None
            if response is None or target is None:
                continue
            if self.swagger:
                return self._swagger_answer(operation, response, target.pointer)
            content = as_mapping(response.get("content")) or {}
            for media_type, media in content.items():
                base = media_type.split(";", 1)[0].strip().lower()
                media_object = as_mapping(media) or {}
                where = pointer_child(pointer_child(target.pointer, "content"), media_type)
                if base.startswith("audio/") or base in _BINARY_TYPES:
                    return Answer("binary", None, where, base)
                if (base == "application/json" or base.endswith("+json")) and (
                    "schema" in media_object
                ):
                    return Answer("json", media_object["schema"], pointer_child(where, "schema"))
            return Answer("none", None, target.pointer)
        return Answer("none", None, responses_pointer)

    def _swagger_answer(
        self, operation: dict[str, JsonValue], response: dict[str, JsonValue], pointer: str
    ) -> Answer:
        produces = operation.get("produces", self.root.get("produces"))
        listed = produces if isinstance(produces, list) else []
        kinds = [p.lower() for p in listed if isinstance(p, str)]
        schema = as_mapping(response.get("schema"))
        audio = next((k for k in kinds if k.startswith("audio/") or k in _BINARY_TYPES), None)
        if audio is not None and (
            schema is None or schema.get("type") == "file" or schema.get("format") == "binary"
        ):
            return Answer("binary", None, pointer, audio)
        if schema is not None:
            return Answer("json", schema, pointer_child(pointer, "schema"))
        return Answer("none", None, pointer)

    def job(self, submit_path: str, answer: Answer) -> tuple[SpecJob, tuple[JsonValue, str]] | None:
        """The job read after this submit, when the answer names one and a status GET exists."""
        id_field = self._id_field(answer.schema, answer.pointer)
        if id_field is None:
            return None
        best: tuple[int, str, dict[str, JsonValue], str, Answer] | None = None
        for path, item in self.paths.items():
            placeholders = re.findall(r"\{[^{}/]+\}", path)
            if len(placeholders) != 1 or not path.endswith(placeholders[0]):
                continue
            item_map = as_mapping(item) or {}
            getter = as_mapping(item_map.get("get"))
            if getter is None:
                continue
            status = self.answer(getter, pointer_child(pointer_child("/paths", path), "get"))
            if status.kind != "json":
                continue
            status_field = self._status_field(status)
            if status_field is None:
                continue
            shared = len(_common_prefix(submit_path, path))
            if best is None or shared > best[0]:
                best = (shared, path, item_map, status_field, status)
        if best is None:
            return None
        _, path, item_map, status_field, status = best
        self._read_statuses(status, status_field)
        error_field = self._first_property(status, _ERROR_NAMES)
        cancel_method, cancel_path = self._cancel(path, item_map)
        job = SpecJob(
            id_field=id_field,
            status_path=path,
            status_field=status_field,
            error_field=error_field,
            cancel_method=cancel_method,
            cancel_path=cancel_path,
        )
        return job, (status.schema, status.pointer)

    def _id_field(self, schema: JsonValue, pointer: str, depth: int = 0) -> str | None:
        """The answer's id property, at its top or (``data.task_id``) in an envelope object."""
        properties: dict[str, tuple[JsonValue, str]] = {}
        for part in object_parts(self.doc, schema, pointer) or []:
            for name, value in (as_mapping(part.schema.get("properties")) or {}).items():
                properties.setdefault(
                    name, (value, pointer_child(pointer_child(part.pointer, "properties"), name))
                )
        found = next((n for n in _ID_NAMES if n in properties), None)
        if found is not None or depth:
            return found
        for envelope in _ENVELOPES:
            if envelope in properties:
                inner = self._id_field(*properties[envelope], depth=1)
                if inner is not None:
                    return f"{envelope}.{inner}"
        return None

    def _status_field(self, status: Answer) -> str | None:
        return self._first_property(status, _STATUS_NAMES)

    def _first_property(self, answer: Answer, names: tuple[str, ...]) -> str | None:
        parts = object_parts(self.doc, answer.schema, answer.pointer) or []
        present = {
            name for part in parts for name in (as_mapping(part.schema.get("properties")) or {})
        }
        return next((n for n in names if n in present), None)

    def _read_statuses(self, status: Answer, field: str) -> None:
        """The status property's enum words, each mapped by meaning (reported when it has none)."""
        for part in object_parts(self.doc, status.schema, status.pointer) or []:
            properties = as_mapping(part.schema.get("properties")) or {}
            if field not in properties:
                continue
            where = pointer_child(pointer_child(part.pointer, "properties"), field)
            target = self.doc.follow(properties[field], where)
            mapping = as_mapping(target.value) if target else None
            words = (mapping or {}).get("enum")
            if not isinstance(words, list):
                # No enum: the words most providers use, each by its meaning.
                words = [w for state in _STATE_WORDS.values() for w in sorted(state)]
                words += ["in_progress", "in-progress", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
            for word in words:
                if not isinstance(word, str):
                    continue
                state = state_of_word(word)
                if state is None:
                    self.doc.warning(
                        where,
                        f"job status {show(word)} has no meaning musicbind knows (queued, "
                        "running, succeeded, failed, canceled); a job reporting it stops with "
                        "an unknown-status error unless the overlay maps it under "
                        "providers.<name>.statuses",
                    )
                    continue
                self.statuses[word] = state

    def _cancel(self, path: str, item: dict[str, JsonValue]) -> tuple[str | None, str | None]:
        if "delete" in item:
            return "DELETE", path
        for suffix in ("/cancel", ":cancel"):
            other = as_mapping(self.paths.get(path + suffix))
            if other is not None and "post" in other:
                return "POST", path + suffix
        return None, None


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        size += 1
    return a[:size]
