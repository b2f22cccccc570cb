"""Tooling: the length in seconds of local media files a payload names (``musicbind validate``).

The reading itself is :mod:`musicbind.runtime.media`, the code the client and
``musicbind run`` use, so the three agree: a value that is a path to an existing local
file (relative to the payload file's folder) is probed once per run with mutagen; URLs
and asset ids are left alone, and values that cannot be sent are reported by the
validator as ``file-input`` findings. With ``--probe-urls`` an http(s) URL's length is
read too (:mod:`musicbind.runtime.media_probe`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from musicbind.runtime.media import FileValueError, Probed, classify_file_value, probe_media

__all__ = ["MediaProber", "Probed", "local_media_path"]


def local_media_path(value: object, folder: Path) -> Path | None:
    """The existing local file a payload value names, or None (URL, asset id, no such file)."""
    if not isinstance(value, str):
        return None
    try:
        found = classify_file_value(value, takes="asset", data_urls=True, folder=folder)
    except FileValueError:
        return None
    return found.path if found.kind == "local" else None


@dataclass(slots=True)
class MediaProber:
    """Probes media lengths, each file once per run."""

    cache: dict[Path, Probed] = field(default_factory=dict)
    urls: dict[str, Probed] = field(default_factory=dict)

    def probe(self, path: Path) -> Probed:
        """The length of ``path`` (cached by resolved path)."""
        key = path.resolve()
        if key not in self.cache:
            self.cache[key] = probe_media(key)
        return self.cache[key]

    def probe_url(self, url: str) -> Probed:
        """The length of the media at ``url`` (ranged requests under a byte budget; cached)."""
        if url not in self.urls:
            from musicbind.runtime.media_probe import probe_url

            self.urls[url] = probe_url(url)
        return self.urls[url]
