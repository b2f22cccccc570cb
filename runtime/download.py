"""Runtime: storing result files safely (stream to a temp file, check, rename into place).

- The body streams into a hidden ``.part`` file in the target directory and is moved
  into place only when complete; any failure removes it, so no partial file remains.
- Content-Length must match the bytes received (ContentLengthMismatchError), and the
  stored size may not pass the cap (DownloadTooLargeError), checked while streaming.
- Compressed bodies (gzip, deflate) are decoded here with bounded output per step, so
  a small bomb cannot expand past the cap; other encodings are refused. Downloads ask
  for ``identity`` in the first place.
- File names never come raw from the server: only the last path component of the hint
  survives, restricted to ``[A-Za-z0-9._-]``, no leading dots, no reserved device names,
  bounded length. An existing file is never overwritten: ``name-1.ext``, ``name-2.ext``...
  (placed with a hard link, which fails rather than replaces).
- Temporary files are named ``.musicbind-<pid>-*.part``; :func:`remove_stale_parts`
  removes those of processes no longer running, so a killed download leaves nothing for
  long. :func:`job_lock` lets one process at a time download a job.
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from musicbind.runtime.decoding import BoundedDecoder, UnsupportedEncodingError
from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.errors import (
    ContentLengthMismatchError,
    DownloadError,
    DownloadTooLargeError,
)
from musicbind.runtime.http import ErrorContext, HttpCall, display_url
from musicbind.runtime.providers.base import SPOOL_SCHEME, FileRef
from musicbind.runtime.retry import Operation
from musicbind.runtime.transport import AsyncTransport, Transport, TransportPlans
from musicbind.runtime.transport_steps import TransportPlan, read_chunks

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Unpack  # annotations only: it costs ~2 ms to import
else:
    httpx = deferred_module("httpx")

DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_FILES_PER_JOB = 64
DEFAULT_MAX_JOB_BYTES = 2 * 1024 * 1024 * 1024
PART_PREFIX = ".musicbind-"
MAX_NAME_LENGTH = 100
# Audio types first: the platform's mimetypes table may lack some (audio/wav on Debian).
KNOWN_EXTENSIONS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "aac",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "video/mp4": "mp4",
}
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{kind}{n}" for kind in ("COM", "LPT") for n in range(10)}
)


def safe_file_name(hint: str, *, fallback: str, content_type: str | None = None) -> str:
    """A file name made from a server's suggestion that cannot escape or clobber anything."""
    name = hint.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip("._-")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    if not stem or stem.split(".")[0].upper() in _RESERVED_NAMES:
        stem = _UNSAFE_CHARS.sub("_", fallback).strip("._-") or "file"
    if not suffix and content_type:
        kind = content_type.split(";")[0].strip().lower()
        suffix = KNOWN_EXTENSIONS.get(kind) or (mimetypes.guess_extension(kind) or "").lstrip(".")
    suffix = suffix[:16]
    stem = stem[: MAX_NAME_LENGTH - len(suffix) - 1]
    return f"{stem}.{suffix}" if suffix else stem


def place_without_overwrite(temporary: Path, directory: Path, name: str) -> Path:
    """Move ``temporary`` to ``directory/name`` (or a numbered variant); never replaces a file."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    for number in range(10_000):
        candidate = directory / (name if number == 0 else f"{stem}-{number}{dot}{suffix}")
        try:
            os.link(temporary, candidate)
        except FileExistsError:
            continue
        except OSError:  # no hard links here: reserve the name exclusively, then replace it
            try:
                os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(temporary, candidate)
            return candidate
        temporary.unlink()
        return candidate
    raise DownloadError(f"no free file name for {name} in {directory}")


class BodyWriter:
    """Receives the raw body, decodes it within the cap and writes a temporary file."""

    def __init__(self, directory: Path, max_bytes: int, response: httpx.Response) -> None:
        self.max_bytes = max_bytes
        self.url = display_url(response.url)
        self.content_type = response.headers.get("content-type")
        self.expected = _content_length(response.headers.get("content-length"))
        if self.expected is not None and self.expected > max_bytes:
            raise DownloadTooLargeError(
                f"{self.url} is {self.expected} bytes, above the {max_bytes}-byte cap"
            )
        try:
            self._decoder = BoundedDecoder(
                response.headers.get("content-encoding", ""), self._write
            )
        except UnsupportedEncodingError as error:
            raise DownloadError(f"{self.url}: {error}") from None
        self.received = 0
        self.written = 0
        fd, name = tempfile.mkstemp(
            dir=directory, prefix=f"{PART_PREFIX}{os.getpid()}-", suffix=".part"
        )
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk."""
        self.received += len(raw)
        if self.expected is not None and self.received > self.expected:
            raise self._mismatch()
        try:
            self._decoder.feed(raw)
        except zlib.error as error:
            raise DownloadError(f"{self.url}: a broken compressed body ({error})") from None

    def finish(self) -> Path:
        """Check the totals and close; returns the temporary file."""
        if self.expected is not None and self.received != self.expected:
            raise self._mismatch()
        try:
            complete = self._decoder.finish()
        except zlib.error as error:
            raise DownloadError(f"{self.url}: a broken compressed body ({error})") from None
        if not complete:
            raise DownloadError(f"{self.url}: the compressed body ended early")
        self._file.close()
        return self.path

    def abort(self) -> None:
        """Remove the temporary file."""
        self._file.close()
        self.path.unlink(missing_ok=True)

    def _write(self, data: bytes) -> None:
        self.written += len(data)
        if self.written > self.max_bytes:
            raise DownloadTooLargeError(f"{self.url} grew past the {self.max_bytes}-byte cap")
        self._file.write(data)

    def _mismatch(self) -> ContentLengthMismatchError:
        return ContentLengthMismatchError(
            f"{self.url}: Content-Length says {self.expected} bytes, received {self.received}"
        )


def body_to_file(
    response: httpx.Response, directory: Path, max_bytes: int
) -> TransportPlan[tuple[Path, str | None]]:
    """Read a 2xx body into a temporary file in ``directory`` under the cap (decoded,
    Content-Length checked); (the temporary file, its content type). Removed on failure."""
    writer = BodyWriter(directory, max_bytes, response)

    def take(chunk: bytes) -> bool:
        writer.feed(chunk)
        return False  # read to the end: Content-Length and the decoder check it

    try:
        if response.is_stream_consumed:  # a body the client already read (a test transport)
            writer.feed(response.content)
        else:
            yield from read_chunks(response, take)
        return writer.finish(), writer.content_type
    except BaseException:
        writer.abort()
        raise


def download_plan(
    transport: TransportPlans[Any],
    ref: FileRef,
    directory: Path,
    *,
    fallback_name: str,
    ctx: ErrorContext,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
) -> TransportPlan[Path]:
    """Download one result file into ``directory``, as a plan either transport drives."""
    directory.mkdir(parents=True, exist_ok=True)

    def consume(response: httpx.Response) -> TransportPlan[tuple[Path, str | None]]:
        return body_to_file(response, directory, max_bytes)

    call = HttpCall(Operation.DOWNLOAD, "GET", ref.url)
    temporary, content_type = yield from transport.exchange_plan(call, ctx, consume)
    return _place(temporary, directory, ref, fallback_name, content_type)


ANSWERS_SUFFIX = ".answers"


def answers_folder(journal_path: Path) -> Path:
    """Where answers that are results themselves (an audio body) are kept, by the journal."""
    return journal_path.with_name(journal_path.name + ANSWERS_SUFFIX)


def save_body(
    response: httpx.Response, folder: Path, max_bytes: int
) -> TransportPlan[tuple[Path, str | None]]:
    """Stream a 2xx body into ``folder`` under the cap; (the file, its content type).

    The file is named ``answer-<random>.<extension of its type>`` and only appears complete.
    """
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary, content_type = yield from body_to_file(response, folder, max_bytes)
    name = safe_file_name(
        f"answer-{os.urandom(8).hex()}", fallback="answer", content_type=content_type
    )
    final = folder / name
    os.replace(temporary, final)
    return final, content_type


def answered_file(journal_path: Path, url: str) -> Path | None:
    """The kept answer a ``spool:<name>`` result URL names, when it exists (else None).

    Only a bare file name inside the journal's answers folder is accepted: a result cannot
    point anywhere else on the disk.
    """
    if not url.startswith(SPOOL_SCHEME):
        return None
    name = url[len(SPOOL_SCHEME) :]
    if not name or name != Path(name).name or name in (".", ".."):
        return None
    path = answers_folder(journal_path) / name
    return path if path.is_file() else None


def copy_answer(kept: Path, directory: Path, fallback: str) -> Path:
    """Copy a kept answer into ``directory`` (never over a file); the journal keeps its own."""
    fd, name = tempfile.mkstemp(
        dir=directory, prefix=f"{PART_PREFIX}{os.getpid()}-", suffix=".part"
    )
    os.close(fd)
    temporary = Path(name)
    try:
        shutil.copyfile(kept, temporary)
        return place_without_overwrite(
            temporary, directory, safe_file_name(kept.name, fallback=fallback)
        )
    finally:
        temporary.unlink(missing_ok=True)


class DownloadOptions(TypedDict):
    """The keyword arguments of :func:`download_file` and :func:`adownload_file`."""

    fallback_name: str
    ctx: ErrorContext
    max_bytes: NotRequired[int]


def download_file(
    transport: Transport, ref: FileRef, directory: Path, **options: Unpack[DownloadOptions]
) -> Path:
    """Download one result file into ``directory``; returns where it was stored."""
    return transport.drive(download_plan(transport, ref, directory, **options))


async def adownload_file(
    transport: AsyncTransport, ref: FileRef, directory: Path, **options: Unpack[DownloadOptions]
) -> Path:
    """Async :func:`download_file`."""
    return await transport.drive(download_plan(transport, ref, directory, **options))


def _place(
    temporary: Path, directory: Path, ref: FileRef, fallback: str, content_type: str | None
) -> Path:
    name = safe_file_name(
        ref.name_hint, fallback=fallback, content_type=ref.content_type or content_type
    )
    try:
        return place_without_overwrite(temporary, directory, name)
    finally:
        temporary.unlink(missing_ok=True)


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        length = int(value.strip())
    except ValueError:
        return None
    return length if length >= 0 else None


def remove_stale_parts(directory: Path) -> list[Path]:
    """Remove temporary ``.part`` files that processes no longer running left in ``directory``."""
    removed: list[Path] = []
    try:
        candidates = list(directory.glob(f"{PART_PREFIX}*.part"))
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(PART_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


@contextmanager
def job_lock(journal_path: Path, key: str) -> Iterator[None]:
    """Hold the download lock of one job: one byte of a lock file next to the journal.

    A second process resuming the same job waits here, then finds the files journalled.
    POSIX record locks; elsewhere (Windows) no lock, and downloads stay idempotent.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    import hashlib  # with the first download, not with a client's import

    offset = int(hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16)
    try:
        fd = os.open(
            journal_path.with_name(journal_path.name + ".download-lock"),
            os.O_RDWR | os.O_CREAT,
            0o600,
        )
    except OSError:  # a journal folder we cannot write: no lock, still idempotent
        yield
        return
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, offset)
        yield
    finally:
        os.close(fd)
