"""Runtime: batch items: what one line of a batch file asks for, and its stable key.

A batch file is JSON Lines (one ``{"model": REF, "input": {...}}`` object a line) or a YAML
list of the same mappings. Optional keys: ``id`` (a name of your own; it is part of the key,
so two items with the same model and input but different ids are two jobs) and
``media_duration`` (``{field: seconds}`` for media the runtime cannot read). An item's key
is the sha256 of its ref, its input (canonical JSON) and its id: the same item in a rerun,
in an edited file or in another worker's copy of the file has the same key, which is what
keeps a job from being paid for twice. Problems are located (``file:line``) and listed
together; a file with any problem runs nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ITEM_KEYS = frozenset({"model", "input", "id", "media_duration"})
MAX_BATCH_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One item of a batch: a model ref, its input and where it was written."""

    ref: str
    input: Mapping[str, Any]
    id: str | None = None
    media_duration: Mapping[str, float] | None = None
    line: int | None = None  # 1-based line in the batch file
    folder: Path | None = None  # relative file paths in the input are relative to it
    key: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", item_key(self.ref, self.input, self.id))

    @property
    def label(self) -> str:
        """How people see the item: its id, else its line, else its key's start."""
        if self.id:
            return self.id
        return f"line {self.line}" if self.line is not None else self.key[:12]


def item_key(ref: str, payload: Mapping[str, Any], item_id: str | None = None) -> str:
    """sha256 of the ref, the canonical JSON of the input and the item's own id."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{ref}\n{canonical}\n{item_id or ''}".encode()).hexdigest()


class BatchFileError(ValueError):
    """A batch file that cannot be run; ``problems`` are ``file:line: what`` lines."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def read_batch_file(path: Path) -> list[BatchRequest]:
    """The items of a JSONL or YAML batch file (BatchFileError listing every problem)."""
    where = path.as_posix()
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BATCH_FILE_BYTES + 1)
    except OSError as error:
        raise BatchFileError([f"{where}: {error.strerror or error}"]) from None
    if len(data) > MAX_BATCH_FILE_BYTES:
        raise BatchFileError([f"{where}: larger than {MAX_BATCH_FILE_BYTES} bytes"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BatchFileError([f"{where}: not UTF-8 text (byte {error.start})"]) from None
    folder = path.parent.resolve()
    stripped = text.lstrip()
    if stripped.startswith("{") or path.suffix.lower() in (".jsonl", ".ndjson"):
        raw = _json_lines(text, where)
    else:
        raw = _yaml_items(text, where)
    return parse_items(raw, where, folder)


def parse_items(
    raw: Sequence[tuple[int | None, Any]], where: str, folder: Path | None = None
) -> list[BatchRequest]:
    """Check ``(line, value)`` pairs as batch items; BatchFileError lists every problem."""
    problems: list[str] = []
    items: list[BatchRequest] = []
    for line, value in raw:
        at = f"{where}:{line}" if line is not None else where
        item, problem = _item(value, line, folder)
        if problem:
            problems.append(f"{at}: {problem}")
        elif item is not None:
            items.append(item)
    if problems:
        raise BatchFileError(problems)
    if not items:
        raise BatchFileError([f"{where}: no items"])
    return items


def _json_lines(text: str, where: str) -> list[tuple[int | None, Any]]:
    found: list[tuple[int | None, Any]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            found.append((number, json.loads(line, parse_constant=_refuse_constant)))
        except ValueError as error:
            problems.append(f"{where}:{number}: not JSON: {error}")
    if problems:
        raise BatchFileError(problems)
    return found


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _yaml_items(text: str, where: str) -> list[tuple[int | None, Any]]:
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with the CLI
        raise BatchFileError(
            [f"{where}: reading YAML needs PyYAML (or write JSON Lines)"]
        ) from None
    try:
        # Through a Callable: older type stubs of PyYAML leave compose untyped.
        compose: Callable[..., Any] = getattr(yaml, "compose")  # noqa: B009
        node = compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise BatchFileError([f"{where}{line}: not YAML: {problem}"]) from None
    if not isinstance(data, list) or node is None:
        raise BatchFileError([f"{where}: a YAML batch file is a list of items"])
    lines = [child.start_mark.line + 1 for child in getattr(node, "value", [])]
    return [(lines[i] if i < len(lines) else None, value) for i, value in enumerate(data)]


def _item(value: Any, line: int | None, folder: Path | None) -> tuple[BatchRequest | None, str]:
    if not isinstance(value, dict):
        return None, "an item is a mapping with 'model' and 'input'"
    unknown = sorted(str(key) for key in value if key not in ITEM_KEYS)
    if unknown:
        return (
            None,
            f"unknown key(s) {', '.join(unknown)} (an item has {', '.join(sorted(ITEM_KEYS))})",
        )
    ref = value.get("model")
    if not isinstance(ref, str) or ":" not in ref:
        return None, "'model' must be a model ref such as 'fal:sonilo/v1.1/video-to-music'"
    payload = value.get("input")
    if not isinstance(payload, dict):
        return None, "'input' must be a mapping of the model's parameters"
    item_id = value.get("id")
    if item_id is not None and not isinstance(item_id, str | int):
        return None, "'id' must be a string"
    durations = value.get("media_duration")
    if durations is not None and (
        not isinstance(durations, dict)
        or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
            for v in durations.values()
        )
    ):
        return None, "'media_duration' must map fields to seconds above 0"
    return (
        BatchRequest(
            ref=ref,
            input=payload,
            id=None if item_id is None else str(item_id),
            media_duration=(
                {str(k): float(v) for k, v in durations.items()} if durations else None
            ),
            line=line,
            folder=folder,
        ),
        "",
    )
