"""A chat live as a `text/event-stream`: its messages and each change of its status,
polled from the database, with a heartbeat and a bounded life."""
from __future__ import annotations

import json
import time

from flask import Response, current_app

from services.tickets.chat import presenters
from services.tickets.chat.models import Chat
from services.tickets.extensions import window_days
from services.tickets.models import db


def sse(event: str, data: dict, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def event_stream(chat_id: str, after: str | None) -> Response:
    """Poll the chat and send what is new; bounded in time (clients reconnect with Last-Event-ID),
    with a comment line as heartbeat so that proxies keep the connection."""
    cursor = presenters.parse_cursor(after)
    config = current_app.config
    days, seconds = window_days(), config["CHAT_STREAM_SECONDS"]
    poll, heartbeat = config["CHAT_STREAM_POLL_SECONDS"], config["CHAT_STREAM_HEARTBEAT_SECONDS"]

    def generate():
        nonlocal cursor
        status = None
        started = last_sent = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            # A connection per poll: a long stream must not hold one from the pool.
            with db.connection_context():
                chat = Chat.get_by_id(chat_id)
                messages = presenters.messages_of(chat, cursor)
                current = presenters.status_of(chat, days)
                number = presenters.ticket_number(chat)
            out = [sse("message", message, message["id"]) for message in messages]
            if messages:
                cursor = presenters.parse_cursor(messages[-1]["id"])
            if current != status:
                out.append(sse("status", {"status": current, "ticket_number": number}))
                status = current
            now = time.monotonic()
            if out:
                yield "".join(out)
                last_sent = now
            elif now - last_sent >= heartbeat:
                yield ": keep-alive\n\n"
                last_sent = now
            if chat.status == "closed" or now - started >= seconds:
                return
            time.sleep(poll)

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
