"""Runtime: decoding HTTP bodies under a byte budget checked while decoding, not after.

httpx decodes a whole received chunk at once, through every ``Content-Encoding`` layer:
a few kilobytes of ``gzip, gzip`` become gigabytes before any cap is looked at. Here
each layer produces at most :data:`DECODE_STEP_BYTES` per step and the budget is
checked after every step, so memory stays bounded whatever the body claims. Only
``identity``, ``gzip`` and ``deflate`` are decoded (requests ask for no others); any
other coding is refused.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable

DECODE_STEP_BYTES = 256 * 1024  # most decoded bytes one layer produces per step
ACCEPT_ENCODING = "gzip, deflate"  # what requests offer: the codings decoded here
MAX_CODING_LAYERS = 2  # "gzip, gzip" is legal; deeper stacks are only ever bombs


class UnsupportedEncodingError(ValueError):
    """A Content-Encoding this module does not decode."""


class BudgetExceededError(ValueError):
    """The decoded body grew past its budget."""


def decoders_for(header: str) -> list[zlib._Decompress]:
    """One decompressor per coding in ``header``, in the order to apply them (last first)."""
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > MAX_CODING_LAYERS:
        raise UnsupportedEncodingError(f"{len(codings)} stacked content codings")
    decoders: list[zlib._Decompress] = []
    for coding in reversed(codings):
        if coding in ("gzip", "x-gzip"):
            decoders.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
        elif coding == "deflate":
            decoders.append(zlib.decompressobj())
        else:
            raise UnsupportedEncodingError(f"unsupported Content-Encoding {coding!r}")
    return decoders


class BoundedDecoder:
    """Feeds raw body bytes through the coding layers; hands decoded bytes to ``sink``.

    ``sink`` receives pieces of at most :data:`DECODE_STEP_BYTES`; it may raise to stop
    (a budget check). :meth:`finish` flushes and says whether every layer ended cleanly.
    """

    def __init__(self, content_encoding: str, sink: Callable[[bytes], None]) -> None:
        self._decoders = decoders_for(content_encoding)
        self._sink = sink

    def feed(self, raw: bytes) -> None:
        """Decode the next raw chunk."""
        self._push(0, raw)

    def finish(self) -> bool:
        """Flush every layer; True when each compressed stream was complete."""
        for level, decoder in enumerate(self._decoders):
            while True:
                out = decoder.decompress(decoder.unconsumed_tail, DECODE_STEP_BYTES)
                if not out:
                    break
                self._emit(level + 1, out)
            self._emit(level + 1, decoder.flush(DECODE_STEP_BYTES))
        return all(decoder.eof for decoder in self._decoders)

    def _push(self, level: int, data: bytes) -> None:
        if level == len(self._decoders):
            if data:
                self._sink(data)
            return
        decoder = self._decoders[level]
        while data:
            out = decoder.decompress(data, DECODE_STEP_BYTES)
            data = decoder.unconsumed_tail
            self._emit(level + 1, out)
            if decoder.eof:
                return

    def _emit(self, level: int, data: bytes) -> None:
        if data:
            self._push(level, data)


class CappedBody:
    """A body read under a byte budget: raw chunks in, decoded bytes kept up to ``limit``.

    Past the limit the rest is dropped when ``truncate`` (an error body: its first bytes
    are enough), else :meth:`feed` raises BudgetExceededError. :attr:`full` says a
    truncating read may stop.
    """

    def __init__(self, content_encoding: str, limit: int, *, truncate: bool) -> None:
        self.limit = limit
        self.truncate = truncate
        self.full = False
        self._body = bytearray()
        self._decoder = BoundedDecoder(content_encoding, self._take)

    def feed(self, raw: bytes) -> None:
        """Decode the next raw chunk."""
        if self.full:
            return
        try:
            self._decoder.feed(raw)
        except _Full:
            self.full = True

    def finish(self) -> bytes:
        """The decoded body (a truncated or unfinished compressed stream is kept as is)."""
        if not self.full:
            with contextlib.suppress(_Full, zlib.error):
                self._decoder.finish()
        return bytes(self._body)

    def _take(self, piece: bytes) -> None:
        room = self.limit - len(self._body)
        if len(piece) > room:
            if self.truncate:
                self._body.extend(piece[:room])
                raise _Full
            raise BudgetExceededError(f"the decoded body exceeds {self.limit} bytes")
        self._body.extend(piece)


class _Full(Exception):
    """A truncating read has its bytes."""
