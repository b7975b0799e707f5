"""A UDP port on loopback that answers SNMP requests with garbage: random bytes or the
request cut short. The SNMP library panics on some such replies; shared by the deploys'
and the exporter's fuzz tests."""

from __future__ import annotations

import socket
import threading

from hypothesis import strategies as st

REPLIES = st.one_of(
    st.binary(min_size=0, max_size=300),
    st.integers(min_value=0, max_value=120),  # the request itself, cut short
    st.binary(min_size=1, max_size=40).map(lambda b: b"\x30\x82\xff\xff" + b),
)
"""Replies to send: raw bytes, or how many bytes of the request to send back."""


class GarbageResponder:
    """A UDP port on 127.0.0.1 answering each datagram with the next reply it is given
    (raw bytes, or the request cut to a length), at most ``limit`` times."""

    def __init__(self, host: str = "127.0.0.1", limit: int = 2000) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.reply: bytes | int = b""
        self.limit = limit
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        answered = 0
        while not self.stopped.is_set() and answered < self.limit:
            try:
                request, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            reply = self.reply if isinstance(self.reply, bytes) else request[: self.reply]
            self.sock.sendto(reply, peer)
            answered += 1

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.sock.close()
