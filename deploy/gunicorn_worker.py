"""gunicorn's gthread worker with one change, for a process whose clients send request after
request on kept-alive connections (the gateway behind an ingress, a service behind the gateway).

gthread hands a kept-alive connection back to its main loop after each answer: the next request
wakes the poller, goes through the thread pool's queue to a thread, and the answer goes back through
a pipe to the poller (issue 23 part B: about half of the gateway's CPU per read, and thread wake-ups
on the request's way). Here the thread that answered waits up to `NEXT_REQUEST_WAIT` for that
connection's next request and serves it itself, but only while no connection waits for a thread,
so a busy connection cannot keep a thread from the others. Opt in with
`GUNICORN_WORKER_CLASS=deploy.gunicorn_worker.KeepAliveThreadWorker`.
"""
from __future__ import annotations

import os

from gunicorn.workers.gthread import ThreadWorker
from urllib3.util.wait import wait_for_read

# Seconds: long enough for a client's next request sent at once, short enough to cost a thread nothing.
NEXT_REQUEST_WAIT = float(os.environ.get("GUNICORN_NEXT_REQUEST_WAIT", "0.002"))


class KeepAliveThreadWorker(ThreadWorker):
    def handle(self, conn):
        keep_alive = super().handle(conn)
        while keep_alive is True and self.alive and not self._connection_waiting() and (
                conn.parser.unreader.buf.getvalue() or wait_for_read(conn.sock, NEXT_REQUEST_WAIT)):
            keep_alive = super().handle(conn)
        return keep_alive

    def _connection_waiting(self) -> bool:
        """Is a connection queued for a thread? (Those not kept alive nor pending are in the pool.)"""
        in_pool = self.nr_conns - len(self.keepalived_conns) - len(self.pending_conns)
        return in_pool > self.cfg.threads
