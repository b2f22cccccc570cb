"""Emulator: media the emulator knows the length of: its shipped demo video, uploads, data URLs.

The demo video ``emulator/media/demo.mp4`` is a real H.264 MP4 (96x64, 4 fps, 12.0 s, about
5 KB) made once by ``emulator.demo_video`` with PyAV; it is served at ``/media/demo.mp4``.
A video's length is read from the MP4 movie header (``moov/mvhd``), which every MP4 has,
audio track or not; other media fall back to mutagen.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
from dataclasses import dataclass
from importlib import resources

DEMO_VIDEO_NAME = "demo.mp4"
DEMO_VIDEO_SECONDS = 12.0
_CONTAINERS = {b"moov", b"trak", b"mdia"}
_MAX_BOXES = 10_000


@dataclass(frozen=True, slots=True)
class MediaFile:
    """Bytes the emulator serves, with their media type and (when known) length in seconds."""

    name: str
    content: bytes
    content_type: str
    duration: float | None


def demo_video() -> MediaFile:
    """The shipped demo video."""
    content = resources.files("musicbind.emulator").joinpath("media", DEMO_VIDEO_NAME).read_bytes()
    return MediaFile(DEMO_VIDEO_NAME, content, "video/mp4", probe_duration(content))


def mp4_duration(content: bytes) -> float | None:
    """Seconds from the MP4 movie header, or None when there is none."""
    offset, end, boxes = 0, len(content), 0
    while offset + 8 <= end and boxes < _MAX_BOXES:
        boxes += 1
        size, kind = struct.unpack_from(">I4s", content, offset)
        header = 8
        if size == 1 and offset + 16 <= end:
            size = struct.unpack_from(">Q", content, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return None
        if kind == b"mvhd":
            return _mvhd_seconds(content[offset + header : offset + size])
        if kind in _CONTAINERS:
            end = offset + size  # descend: walk this box's children
            offset += header
            continue
        offset += size
    return None


def _mvhd_seconds(body: bytes) -> float | None:
    if not body:
        return None
    if body[0] == 1 and len(body) >= 32:
        timescale, duration = struct.unpack_from(">IQ", body, 20)
    elif len(body) >= 20:
        timescale, duration = struct.unpack_from(">II", body, 12)
    else:
        return None
    return duration / timescale if timescale else None


def probe_duration(content: bytes) -> float | None:
    """Length in seconds of a video or audio file, or None when it cannot be told."""
    seconds = mp4_duration(content)
    if seconds is not None:
        return seconds
    import mutagen  # only for non-MP4 uploads

    try:
        found = mutagen.File(io.BytesIO(content))
    except Exception:  # mutagen raises many kinds on foreign bytes
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    return float(length) if isinstance(length, int | float) else None


def decode_upload(text: str) -> tuple[bytes, str | None]:
    """Bytes and media type from base64 or a ``data:<type>;base64,`` URL; ValueError if neither."""
    content_type: str | None = None
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            raise ValueError("a data URL must be base64-encoded")
        content_type = head[5:-7] or None
    try:
        return base64.b64decode(text, validate=True), content_type
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from None


def guess_content_type(name: str, content: bytes) -> str:
    """A media type from the file name, then from magic bytes."""
    lowered = name.lower()
    for suffix, kind in (
        (".mp4", "video/mp4"),
        (".mov", "video/quicktime"),
        (".webm", "video/webm"),
        (".wav", "audio/wav"),
        (".mp3", "audio/mpeg"),
        (".m4a", "audio/mp4"),
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
    ):
        if lowered.endswith(suffix):
            return kind
    if content[4:8] == b"ftyp":
        return "video/mp4"
    if content[:4] == b"RIFF":
        return "audio/wav"
    return "application/octet-stream"
