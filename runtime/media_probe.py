"""Runtime: the length of media behind an http(s) URL, read from its header with ranged requests.

Opt-in (``probe_url``, ``musicbind validate --probe-urls``, ``musicbind run --probe-urls``):
mutagen reads the container through a file object whose reads become ``Range`` requests of
:data:`BLOCK_BYTES`, so only the header is fetched (for an MP4 whose ``moov`` box sits at
the end, the tail too: mutagen seeks past ``mdat``). Everything fetched counts against
``max_bytes``; past it the probe stops with the reason. A server that ignores ``Range``
(answers 200) is read from the start up to the budget. No credentials are ever sent: the
URL is the user's media, not a provider API.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import httpx

from musicbind.runtime.http import display_url
from musicbind.runtime.media import Probed

BLOCK_BYTES = 64 * 1024
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_S = 10.0


class _OverBudget(Exception):
    """The probe would fetch more than its byte budget."""


class _NotRanged(Exception):
    """The server ignores ``Range``: the body it sends is the file from its start."""


class RangedFile(io.RawIOBase):
    """A read-only, seekable view of a URL, fetched in blocks with ``Range`` requests."""

    def __init__(self, url: str, client: httpx.Client, max_bytes: int) -> None:
        self.url = url
        self.client = client
        self.max_bytes = max_bytes
        self.fetched = 0
        self.size: int | None = None
        self._blocks: dict[int, bytes] = {}
        self._position = 0
        self._whole: bytes | None = None  # a server without ranges: the prefix read
        self.problem: str | None = None  # why a read failed (mutagen hides the exception)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_END:
            self._block(0)  # learns the size
            offset += self.size or 0
        elif whence == io.SEEK_CUR:
            offset += self._position
        self._position = max(offset, 0)
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        self._block(0)
        end = self.size if self.size is not None else self._position + max(size, 0)
        if size is not None and size >= 0:
            end = min(end, self._position + size)
        chunks: list[bytes] = []
        while self._position < end:
            index = self._position // BLOCK_BYTES
            block = self._block(index)
            if not block:
                break
            start = self._position - index * BLOCK_BYTES
            piece = block[start : start + end - self._position]
            if not piece:
                break
            chunks.append(piece)
            self._position += len(piece)
        return b"".join(chunks)

    def _block(self, index: int) -> bytes:
        if index in self._blocks:
            return self._blocks[index]
        if self._whole is not None:
            return self._whole[index * BLOCK_BYTES : (index + 1) * BLOCK_BYTES]
        first = index * BLOCK_BYTES
        if self.size is not None and first >= self.size:
            return b""
        if self.fetched + BLOCK_BYTES > self.max_bytes:
            self.problem = f"the header is not within the first {self.max_bytes} bytes read"
            raise _OverBudget(self.problem)
        headers = {
            "Range": f"bytes={first}-{first + BLOCK_BYTES - 1}",
            "Accept-Encoding": "identity",
        }
        with self.client.stream("GET", self.url, headers=headers) as response:
            if response.status_code == 200:
                self._whole = self._prefix(response)
                return self._block(index)
            if response.status_code != 206:
                self.problem = f"cannot read it (HTTP {response.status_code})"
                raise httpx.HTTPStatusError(
                    f"HTTP {response.status_code}", request=response.request, response=response
                )
            total = response.headers.get("content-range", "").rpartition("/")[2]
            if total.isdigit():
                self.size = int(total)
            data = b"".join(self._capped(response.iter_bytes(), BLOCK_BYTES))
        self.fetched += len(data)
        self._blocks[index] = data
        return data

    def _prefix(self, response: httpx.Response) -> bytes:
        length = response.headers.get("content-length", "")
        data = b"".join(self._capped(response.iter_bytes(), self.max_bytes - self.fetched))
        self.fetched += len(data)
        self.size = int(length) if length.isdigit() else None
        if self.size is None or len(data) < self.size:
            self.size = len(data) if self.size is None else self.size
        return data

    @staticmethod
    def _capped(chunks: object, limit: int) -> list[bytes]:
        kept: list[bytes] = []
        total = 0
        for chunk in chunks:  # type: ignore[attr-defined]
            kept.append(chunk[: max(limit - total, 0)])
            total += len(chunk)
            if total >= limit:
                break
        return kept


def probe_url(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    http_client: httpx.Client | None = None,
) -> Probed:
    """The length in seconds of the media at ``url``, reading at most ``max_bytes``."""
    import mutagen

    shown = display_url(url)
    client = http_client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=True)
    handle = RangedFile(url, client, max_bytes)
    try:
        media = mutagen.File(handle)
    except (_OverBudget, httpx.HTTPError, mutagen.MutagenError, ValueError, OSError) as error:
        if handle.problem is None and isinstance(error, httpx.HTTPError):
            handle.problem = f"cannot read it ({type(error).__name__}: {error})"
        return Probed(None, f"{shown}: {handle.problem or f'cannot read its length: {error}'}")
    finally:
        if http_client is None:
            client.close()
    if handle.problem is not None:
        return Probed(None, f"{shown}: {handle.problem}")
    length = getattr(getattr(media, "info", None), "length", None)
    if media is None or not isinstance(length, int | float) or not math.isfinite(length):
        return Probed(None, f"{shown}: not a known media format")
    if length <= 0:
        return Probed(None, f"{shown}: no playable length")
    return Probed(float(length))


UrlProber = Callable[[str], Probed]
