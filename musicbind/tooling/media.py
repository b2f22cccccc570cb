"""Tooling: the length in seconds of local media files a payload names, read with mutagen.

Cross-field rules (start offset + duration within the video) need the media's
length. A payload value that is a path to an existing local file (relative to the
payload file's folder, or a ``file:`` URL) is probed once per run; URLs and asset
ids are left alone. mutagen reads MP4/M4A, MP3, WAV, FLAC, Ogg and more without
decoding; it was chosen over ffprobe because it is pure Python and already a
dependency (the emulator uses it).
"""

from __future__ import annotations

import io
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

_REMOTE_SCHEMES = frozenset({"http", "https", "data", "s3", "gs", "ftp"})


@dataclass(frozen=True, slots=True)
class Probed:
    """A media length in seconds, or why it could not be read."""

    seconds: float | None
    problem: str | None = None


_MEDIA_SUFFIXES = frozenset(
    {".mp4", ".m4a", ".mov", ".webm", ".mkv", ".mp3", ".wav", ".flac", ".ogg", ".aac", ".opus"}
)


def _local_candidate(value: object, folder: Path) -> Path | None:
    """The local path a payload value names, existing or not; None for URLs and asset ids."""
    if not isinstance(value, str) or not value or len(value) > 4096 or "\0" in value:
        return None
    scheme = urlparse(value).scheme.lower()
    if scheme == "file":
        return Path(unquote(urlparse(value).path))
    if scheme in _REMOTE_SCHEMES or (len(scheme) > 1 and "://" in value):
        return None
    candidate = Path(value)
    return candidate if candidate.is_absolute() else folder / candidate


def local_media_path(value: object, folder: Path) -> Path | None:
    """The local file a payload value names, or None (URL, asset id, no such file)."""
    candidate = _local_candidate(value, folder)
    try:
        return candidate if candidate is not None and candidate.is_file() else None
    except OSError:
        return None


def missing_local_path(value: object, folder: Path) -> Path | None:
    """The local file a payload value plainly names (a ``file:`` URL, a path with a folder
    part or a media suffix) when no such file exists; None otherwise. A bare word is left
    alone: it may be a provider's asset id."""
    candidate = _local_candidate(value, folder)
    if candidate is None:
        return None
    assert isinstance(value, str)
    path_like = (
        value.lower().startswith("file:")
        or "/" in value
        or "\\" in value
        or Path(value).suffix.lower() in _MEDIA_SUFFIXES
    )
    try:
        return candidate if path_like and not candidate.exists() else None
    except OSError:
        return None


@dataclass(slots=True)
class MediaProber:
    """Probes media lengths, each file once per run."""

    cache: dict[Path, Probed] = field(default_factory=dict)

    def probe(self, path: Path) -> Probed:
        """The length of ``path`` (cached by resolved path)."""
        key = path.resolve()
        if key not in self.cache:
            self.cache[key] = _probe(key)
        return self.cache[key]


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
        data = super().read(size)
        return data if data is not None else b""


def _probe(path: Path) -> Probed:
    import mutagen  # imported on first use: most runs name no local media

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
