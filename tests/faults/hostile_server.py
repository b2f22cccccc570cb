"""A hostile stand-in server: a loopback HTTP/1.1 server that answers each request from a script.

Separate from the emulator on purpose: the emulator was written with the runtime, this
server is written against it. Every byte it sends is stated by the test: exact headers
(``Content-Encoding: gzip, gzip``), bodies in chunks with pauses (a trickle), an answer
that never comes, a connection closed with no answer, a listener that stops accepting
after an answer (so the next hop is refused). Raw sockets, no HTTP library in between.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Request:
    """One request as the server read it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names lowercased
    body: bytes

    @property
    def route(self) -> str:
        """The path without the query string."""
        return self.path.split("?", 1)[0]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    """What the server does with one request."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: Iterable[bytes] = ()
    pause: float = 0.0  # seconds between chunks (a trickle)
    hang: bool = False  # read the request, then never answer
    drop: bool = False  # close the connection without a byte of answer
    stop_listening: bool = False  # after answering, refuse every later connection
    content_length: bool = True  # send Content-Length (when the chunks are a list)


def json_reply(
    value: Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Reply:
    body = json.dumps(value).encode()
    return Reply(status, [("Content-Type", "application/json"), *(headers or [])], [body])


def redirect(location: str, status: int = 307) -> Reply:
    return Reply(status, [("Location", location)], [b""])


def file_reply(data: bytes, content_type: str = "audio/mp4") -> Reply:
    return Reply(200, [("Content-Type", content_type)], [data])


def trickle(body: bytes, pause: float) -> Reply:
    """A JSON answer that arrives one byte per ``pause`` seconds."""
    return Reply(
        200,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
        [body[i : i + 1] for i in range(len(body))],
        pause=pause,
        content_length=False,
    )


def _gzip_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


def _zeros(total: int) -> Iterator[bytes]:
    block = bytes(MIB)
    for _ in range(total // MIB):
        yield block


_BOMBS: dict[int, bytes] = {}


def double_gzip_bomb(decoded_bytes: int) -> bytes:
    """``decoded_bytes`` of zeros, gzip-compressed twice (a few kilobytes; cached)."""
    if decoded_bytes not in _BOMBS:
        once = b"".join(_gzip_stream(_zeros(decoded_bytes)))
        _BOMBS[decoded_bytes] = gzip.compress(once, 9)
    return _BOMBS[decoded_bytes]


def bomb_reply(decoded_bytes: int, status: int = 200) -> Reply:
    """A JSON-typed answer with ``Content-Encoding: gzip, gzip`` that decodes to zeros."""
    body = double_gzip_bomb(decoded_bytes)
    return Reply(
        status,
        [("Content-Type", "application/json"), ("Content-Encoding", "gzip, gzip")],
        [body],
    )


Script = Callable[[Request], Reply]


class HostileServer:
    """Serves ``script`` on 127.0.0.1 until the ``with`` block ends; records every request."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._workers: list[threading.Thread] = []
        self._listening = True

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seen(self, method: str | None = None, prefix: str = "") -> list[Request]:
        """The requests so far, by method and path prefix."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and r.route.startswith(prefix)
            ]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for worker in self._workers:
            worker.join(5)
        self._close_listener()

    def _close_listener(self) -> None:
        if self._listening:
            self._listening = False
            self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set() and self._listening:
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._workers.append(worker)
            worker.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(10)
            try:
                request = _read_request(connection)
            except (OSError, ValueError):
                return
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            reply = self.script(request)
            if reply.hang:
                self._stop.wait(60)
                return
            if reply.drop:
                return
            try:
                self._send(connection, reply)
            except OSError:
                return
            if reply.stop_listening:
                self._close_listener()

    def _send(self, connection: socket.socket, reply: Reply) -> None:
        chunks = list(reply.chunks) if isinstance(reply.chunks, list | tuple) else reply.chunks
        head = [f"HTTP/1.1 {reply.status} X"]
        names = {name.lower() for name, _ in reply.headers}
        head += [f"{name}: {value}" for name, value in reply.headers]
        if reply.content_length and "content-length" not in names and isinstance(chunks, list):
            head.append(f"Content-Length: {sum(len(c) for c in chunks)}")
        head.append("Connection: close")
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for chunk in chunks:
            if self._stop.is_set():
                return
            connection.sendall(chunk)
            if reply.pause:
                self._stop.wait(reply.pause)


def _read_request(connection: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = connection.recv(65536)
        if not piece:
            return None
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        piece = connection.recv(65536)
        if not piece:
            break
        body += piece
    return Request(method, path, headers, body)
