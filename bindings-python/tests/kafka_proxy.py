"""A TCP proxy between a Kafka client and the broker that loses one response on purpose: after
it forwards the first request of a chosen API (Produce by default), it closes that client's
connection when the broker's answer to it comes back, so the client never sees it. The broker
has done the work; the client must retry, and an idempotent producer's retry must not append
twice. Frames are Kafka's: an i32 length, then (request) api key i16, version i16, correlation
id i32, or (response) correlation id i32."""

from __future__ import annotations

import socket
import struct
import threading
from collections import Counter
from typing import Optional

PRODUCE = 0


def read_frame(sock: socket.socket) -> Optional[bytes]:
    """One whole frame, length prefix included; None when the peer closed."""
    head = read_exact(sock, 4)
    if head is None:
        return None
    (length,) = struct.unpack(">i", head)
    body = read_exact(sock, length)
    return None if body is None else head + body


def read_exact(sock: socket.socket, n: int) -> Optional[bytes]:
    out = b""
    while len(out) < n:
        try:
            chunk = sock.recv(n - len(out))
        except OSError:
            return None
        if not chunk:
            return None
        out += chunk
    return out


class DropOnceProxy:
    """Listens on a free loopback port; call `forward_to` before the first client connects."""

    def __init__(self, api_key: int = PRODUCE) -> None:
        self.api_key = api_key
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.upstream: Optional[tuple[str, int]] = None
        self.requests: Counter[int] = Counter()  # api key -> requests forwarded
        self.dropped = threading.Event()
        self._lock = threading.Lock()
        self._armed = True
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def forward_to(self, address: str) -> None:
        host, port = address.rsplit(":", 1)
        self.upstream = (host, int(port))

    def close(self) -> None:
        self.listener.close()
        with self._lock:
            for sock in self._sockets:
                close_quietly(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            assert self.upstream is not None, "forward_to was not called"
            broker = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, broker]
            doomed: list[int] = []  # the correlation id whose answer this connection loses
            threading.Thread(target=self._requests, args=(client, broker, doomed), daemon=True).start()
            threading.Thread(target=self._responses, args=(client, broker, doomed), daemon=True).start()

    def _requests(self, client: socket.socket, broker: socket.socket, doomed: list[int]) -> None:
        while (frame := read_frame(client)) is not None:
            api_key, _, correlation_id = struct.unpack(">hhi", frame[4:12])
            with self._lock:
                self.requests[api_key] += 1
                if api_key == self.api_key and self._armed:
                    self._armed = False
                    doomed.append(correlation_id)
            try:
                broker.sendall(frame)
            except OSError:
                break
        close_quietly(broker)

    def _responses(self, client: socket.socket, broker: socket.socket, doomed: list[int]) -> None:
        while (frame := read_frame(broker)) is not None:
            (correlation_id,) = struct.unpack(">i", frame[4:8])
            if correlation_id in doomed:
                # The broker answered: the request was served. The client never learns it.
                self.dropped.set()
                break
            try:
                client.sendall(frame)
            except OSError:
                break
        close_quietly(client)
        close_quietly(broker)


def close_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
