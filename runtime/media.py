"""Runtime: what a file input names (a URL, a local file, an asset id) and how long its media is.

One module decides, for the Python client, ``musicbind run`` and ``musicbind validate``
alike, what a value in a file input is:

- an ``http(s)`` URL: sent as it is;
- a ``data:`` URL: sent as it is where the provider documents data URIs (fal), refused
  elsewhere;
- an existing local file (a path, ``pathlib.Path``): uploaded through the provider's
  storage before the submit, and its media length read from the file;
- anything else is refused before anything is sent, with the reason: a path to no file,
  ``file://`` URLs (pass the path itself), and other schemes (``ftp://``, ``s3://``...),
  which no provider fetches. A bare word is an asset id where the provider takes asset ids
  (Scenario), and refused where it takes URLs (fal).

Media lengths are read with mutagen (pure Python, no ffmpeg; MP4/M4A/MOV, MP3, WAV,
FLAC, Ogg, ...), once per file content per process, reading only the container headers.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import stat
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

FETCHED_SCHEMES = frozenset({"http", "https"})
MEDIA_SUFFIXES = frozenset(
    {".mp4", ".m4a", ".mov", ".webm", ".mkv", ".mp3", ".wav", ".flac", ".ogg", ".aac", ".opus"}
)
_MAX_VALUE_CHARS = 4096
_HASH_CHUNK = 1024 * 1024


class FileValueError(ValueError):
    """A file input's value that cannot be sent; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class FileValue:
    """What a file input's value is: ``kind`` is ``url``, ``data``, ``local`` or ``asset``."""

    kind: str
    path: Path | None = None  # for ``local``: the file, resolved


@dataclass(frozen=True, slots=True)
class Probed:
    """A media length in seconds, or why it could not be read."""

    seconds: float | None
    problem: str | None = None


def _scheme(value: str) -> str:
    """The URL scheme of ``value``; "" for paths (a Windows drive letter is not a scheme)."""
    scheme = urlsplit(value).scheme.lower()
    return scheme if len(scheme) > 1 else ""


def looks_like_path(value: str) -> bool:
    """Whether a value plainly names a file: a folder part, ``~`` or a media suffix."""
    return (
        "/" in value
        or "\\" in value
        or value.startswith("~")
        or Path(value).suffix.lower() in MEDIA_SUFFIXES
    )


def classify_file_value(
    value: str | os.PathLike[str],
    *,
    takes: str = "url",
    data_urls: bool = False,
    folder: Path | None = None,
) -> FileValue:
    """What ``value`` in a file input is; FileValueError when it cannot be sent.

    ``takes``: ``url`` (the provider fetches public URLs: fal) or ``asset`` (the provider
    takes its own asset ids: Scenario). ``data_urls``: whether the provider documents
    ``data:`` URIs as file inputs. ``folder``: what relative paths are relative to
    (default: the working directory).
    """
    if isinstance(value, os.PathLike):
        return _local(Path(value), folder, str(value))
    text = value
    if not text or len(text) > _MAX_VALUE_CHARS or "\0" in text:
        raise FileValueError("not a URL or a file path")
    scheme = _scheme(text)
    if scheme in FETCHED_SCHEMES:
        return FileValue("url")
    if scheme == "data":
        if data_urls:
            return FileValue("data")
        raise FileValueError(
            "a data: URL is not a file input this provider documents; pass a local path "
            "(it is uploaded) or an http(s) URL"
        )
    if scheme == "file":
        path = Path(unquote(urlsplit(text).path))
        where = f" ({path} exists: pass {path} itself)" if path.is_file() else ""
        raise FileValueError(
            "file:// URLs are not sent (the provider cannot read your disk); pass the "
            f"local path instead and it is uploaded{where}"
        )
    if scheme:
        raise FileValueError(
            f"{scheme}:// URLs are not fetched by the provider; pass an http(s) URL, or a "
            "local path (it is uploaded)"
        )
    if takes == "asset" and not looks_like_path(text) and not _exists(text, folder):
        return FileValue("asset")
    return _local(Path(text), folder, text)


def _exists(text: str, folder: Path | None) -> bool:
    try:
        return _resolve(Path(text), folder).is_file()
    except (OSError, ValueError):
        return False


def _resolve(path: Path, folder: Path | None) -> Path:
    with suppress(RuntimeError):  # "~someone" with no such user: kept, then found missing
        path = path.expanduser()
    if not path.is_absolute() and folder is not None:
        path = folder / path
    return path


def _local(path: Path, folder: Path | None, shown: str) -> FileValue:
    target = _resolve(path, folder)
    try:
        info = target.stat()
    except FileNotFoundError:
        raise FileValueError(f"no such local file: {shown}") from None
    except (OSError, ValueError) as error:
        raise FileValueError(f"cannot read {shown}: {error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileValueError(f"{shown} is not a regular file")
    return FileValue("local", target.resolve())


def content_sha256(path: Path) -> str:
    """sha256 of a file's bytes (read in chunks): the identity of an upload."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _BoundedReads(io.FileIO):
    """A file whose reads never ask for more than what is left of it.

    A header may claim any size (a RIFF chunk of 4 GiB in a 100-byte file); a plain
    ``read(n)`` allocates ``n`` bytes before it finds the file shorter, so the parser's
    reads are cut to the bytes that exist.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")
        self._size = os.fstat(self.fileno()).st_size

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            size = min(size, max(self._size - self.tell(), 0))
        data = super().read(-1 if size is None else size)  # older stubs: read(int) only
        return data if data is not None else b""


_cache: dict[tuple[str, int, int], Probed] = {}
_cache_lock = threading.Lock()


def probe_media(path: Path) -> Probed:
    """The length of the media in ``path`` (cached per path, size and modification time)."""
    try:
        info = path.stat()
    except OSError as error:
        return Probed(None, f"cannot read {path.name}: {error.strerror or error}")
    key = (str(path.resolve()), info.st_size, info.st_mtime_ns)
    with _cache_lock:
        known = _cache.get(key)
    if known is None:
        known = _probe(path)
        with _cache_lock:
            _cache[key] = known
    return known


def _probe(path: Path) -> Probed:
    import mutagen  # imported on first use: most payloads name no local media

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return Probed(None, f"{path.name} is not a regular file")
        with _BoundedReads(path) as handle:
            media = mutagen.File(handle)
    except (mutagen.MutagenError, OSError, ValueError) as exc:
        return Probed(None, f"cannot read the length of {path.name}: {exc}")
    length = getattr(getattr(media, "info", None), "length", None)
    if media is None or not isinstance(length, int | float) or not math.isfinite(length):
        return Probed(None, f"cannot read the length of {path.name}: not a known media format")
    if length <= 0:
        return Probed(None, f"{path.name} has no playable length")
    return Probed(float(length))


def local_media_durations(
    media_fields: tuple[str, ...],
    values: Mapping[str, Any],
    aliases: Mapping[str, str],
    given: Mapping[str, float] | None = None,
    *,
    folder: Path | None = None,
) -> dict[str, float]:
    """Media lengths by python field name: ``given`` first, then read from local files.

    ``values`` holds the payload by wire or python names; ``aliases`` maps python names
    to wire names. A value that is not an existing local file is left alone here (the
    file-input check refuses what cannot be sent); a file whose length cannot be read is
    left out, so only the static bounds apply to it.
    """
    durations = dict(given or {})
    for python in media_fields:
        if python in durations:
            continue
        wire = aliases.get(python, python)
        value = values.get(wire, values.get(python))
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str) or _scheme(value):
            continue
        try:
            found = _local(Path(value), folder, value)
        except FileValueError:
            continue
        assert found.path is not None
        probed = probe_media(found.path)
        if probed.seconds is not None:
            durations[python] = probed.seconds
    return durations


@dataclass(frozen=True, slots=True)
class FileInputRules:
    """How a provider takes file inputs (its adapter's facts)."""

    takes: str = "url"  # "url" or "asset"
    data_urls: bool = False
    uploads: bool = False  # local files are uploaded before the submit


def file_input_rules(provider: str) -> FileInputRules | None:
    """The file-input facts of ``provider``'s adapter; None when it states none (a generic
    provider's form fields: its adapter decides what a value is)."""
    from musicbind.runtime.providers import adapters  # the adapters import this module's users

    adapter = adapters().get(provider)
    takes = getattr(adapter, "file_inputs", None) if adapter is not None else None
    if adapter is None or takes is None:
        return None
    return FileInputRules(
        takes=str(takes),
        data_urls=bool(getattr(adapter, "accepts_data_urls", False)),
        uploads=bool(adapter.accepts_local_files),
    )


@dataclass(frozen=True, slots=True)
class FileInputProblem:
    """A file input's value that cannot be sent: the field (python and wire name) and why."""

    field: str
    wire: str
    value: str
    reason: str


def file_input_problems(
    file_fields: tuple[str, ...],
    values: Mapping[str, Any],
    aliases: Mapping[str, str],
    rules: FileInputRules | None,
    *,
    folder: Path | None = None,
) -> list[FileInputProblem]:
    """Every file-input value in ``values`` (wire or python names) that cannot be sent."""
    problems: list[FileInputProblem] = []
    if rules is None:
        return problems
    for python in file_fields:
        wire = aliases.get(python, python)
        value = values.get(wire, values.get(python))
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, os.PathLike):
                item = os.fspath(item)
            if not isinstance(item, str):
                continue
            try:
                found = classify_file_value(
                    item, takes=rules.takes, data_urls=rules.data_urls, folder=folder
                )
            except FileValueError as error:
                problems.append(FileInputProblem(python, wire, item, str(error)))
                continue
            if found.kind == "local" and not rules.uploads:
                reason = "a local file, but this provider takes public http(s) URLs only"
                problems.append(FileInputProblem(python, wire, item, reason))
    return problems


def with_absolute_paths(
    file_fields: tuple[str, ...],
    values: Mapping[str, Any],
    aliases: Mapping[str, str],
    folder: Path,
) -> dict[str, Any]:
    """``values`` with relative paths to existing files in file inputs made absolute
    (relative to ``folder``, the payload file's), so later steps find them from anywhere."""
    result = dict(values)
    for python in file_fields:
        for key in {aliases.get(python, python), python}:
            value = result.get(key)
            if isinstance(value, list):
                result[key] = [_absolute(item, folder) for item in value]
            elif value is not None:
                result[key] = _absolute(value, folder)
    return result


def _absolute(value: Any, folder: Path) -> Any:
    if not isinstance(value, str) or _scheme(value) or not value:
        return value
    try:
        path = Path(value).expanduser()
        if path.is_absolute():
            return value
        candidate = folder / path
        return str(candidate.resolve()) if candidate.is_file() else value
    except (OSError, ValueError, RuntimeError):
        return value
