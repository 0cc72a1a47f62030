"""kombu's `pyamqp` transport with buffered socket reads: the transport of every connection to RabbitMQ.

py-amqp reads each frame in three `recv` calls (its header, its payload, its end byte) and sets the
socket's timeout before each frame and back after it, and a delivered message is three frames: a busy
consumer made nine `recv` and six `settimeout` calls per message, each a system call that also lets
the other threads take the interpreter lock. `BufferedTCPTransport` takes what the socket holds (up to
`READ_CHUNK`) in one `recv` and serves the frames from it, and a frame it already holds whole is read
without touching the socket's timeout. The inbox consumer's CPU per event fell by about 15%
(bench/notifications_throughput.py, docs/performance.md).

Only plain TCP is changed; a TLS connection (`ssl`) keeps py-amqp's own transport.
"""
from __future__ import annotations

import errno
from contextlib import nullcontext
from struct import unpack_from

from amqp.transport import TCPTransport
from kombu.transport import pyamqp

READ_CHUNK = 65536
# A frame: type (1 byte), channel (2), payload size (4), the payload, the end byte.
FRAME_HEADER, FRAME_END = 7, 1


class BufferedTCPTransport(TCPTransport):
    def _read(self, n: int, initial: bool = False, _errnos=(errno.EAGAIN, errno.EINTR)) -> bytes:
        """`n` bytes, from what earlier reads took beyond their frames, else from one `recv` of what is there."""
        buffered = self._read_buffer
        try:
            while len(buffered) < n:
                try:
                    received = self._quick_recv(max(n - len(buffered), READ_CHUNK))
                except OSError as exc:
                    if exc.errno in _errnos:
                        if initial and self.raise_on_initial_eintr:
                            raise TimeoutError() from exc
                        continue
                    raise
                if not received:
                    raise OSError("Server unexpectedly closed connection")
                buffered += received
        except BaseException:
            self._read_buffer = buffered  # py-amqp's contract: a read that failed keeps what it had
            raise
        result, self._read_buffer = buffered[:n], buffered[n:]
        return result

    def having_timeout(self, timeout):
        """py-amqp's, unless the next frame is already whole in the buffer (no wait, so no timeout to set)."""
        buffered = self._read_buffer
        if len(buffered) >= FRAME_HEADER and len(buffered) >= FRAME_HEADER + unpack_from(">I", buffered, 3)[0] + FRAME_END:
            return nullcontext(self.sock)
        return super().having_timeout(timeout)


class BufferedConnection(pyamqp.Connection):
    def Transport(self, host, connect_timeout, ssl=False, read_timeout=None, write_timeout=None,  # noqa: N802
                  socket_settings=None, **kwargs):
        if ssl:
            return super().Transport(host, connect_timeout, ssl=ssl, read_timeout=read_timeout,
                                     write_timeout=write_timeout, socket_settings=socket_settings, **kwargs)
        return BufferedTCPTransport(host, connect_timeout=connect_timeout, ssl=ssl, read_timeout=read_timeout,
                                    write_timeout=write_timeout, socket_settings=socket_settings, **kwargs)


class Transport(pyamqp.Transport):
    """kombu's `amqp://` transport, on `BufferedConnection`."""

    Connection = BufferedConnection
