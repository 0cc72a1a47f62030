"""The attachment limits a page shows and checks before anything is uploaded: the tickets
service's own (`GET /api/v1/tickets/limits`), so that no page keeps numbers of its own
that could drift from what the service enforces. Read through the gateway's client and
kept a minute; while the service cannot say, the picker shows none and checks nothing
itself (the service still checks every upload)."""
from __future__ import annotations

import time

from flask import current_app

from services.gateway.upstream import client
from shared.errors import ApiError

KEEP_SECONDS = 60.0
MIB = 1024 * 1024


def attachment_limits() -> dict | None:
    """`{max_bytes, max_mb, max_files, types, extensions}`, or None when the service does not answer."""
    kept = current_app.extensions.get("attachment_limits")
    now = time.monotonic()
    if kept is not None and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    try:
        status, body = client().json("tickets", "GET", "/api/v1/tickets/limits", None)
        limits = dict(body["attachments"]) if status == 200 else None
    except (ApiError, KeyError, TypeError):
        limits = None
    if limits is None:
        return kept[1] if kept is not None else None
    # The size as the pages say it: "10 MB", "2.5 MB".
    limits["max_mb"] = f"{round(limits['max_bytes'] / MIB, 1):g}"
    current_app.extensions["attachment_limits"] = (now, limits)
    return limits
