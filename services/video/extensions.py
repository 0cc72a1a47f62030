"""What the video service's request code uses, made once by `create_app`: the outbox,
the scheduling rules, the room provider and the tickets service's client."""
from __future__ import annotations

import datetime as dt

from flask import Flask, current_app

from services.video import config
from services.video.models import OutboxMessage
from services.video.providers import VideoProvider, make_provider
from services.video.rules import Rules
from services.video.tickets_client import TicketsClient
from shared.outbox import Outbox


def init_app(app: Flask) -> None:
    settings = app.config
    app.extensions["outbox"] = Outbox(OutboxMessage, producer=config.SERVICE)
    app.extensions["video_rules"] = Rules.from_settings(settings)
    app.extensions["video_provider"] = provider_from(settings)
    app.extensions["tickets_client"] = TicketsClient(settings["TICKETS_URL"], settings["INTERNAL_TOKEN_SECRET"],
                                                     settings["INTERNAL_TOKEN_ISSUER"],
                                                     settings["TICKETS_TIMEOUT_SECONDS"])


def provider_from(settings: dict) -> VideoProvider:
    return make_provider(settings["VIDEO_PROVIDER"], settings["VIDEO_APP_ID"], settings["VIDEO_APP_SECRET"],
                         settings["VIDEO_ROOM_BASE_URL"] or config.DEFAULT_ROOM_BASE_URLS.get(
                             settings["VIDEO_PROVIDER"], settings.get("PUBLIC_URL", "")))


def outbox() -> Outbox:
    return current_app.extensions["outbox"]


def rules() -> Rules:
    return current_app.extensions["video_rules"]


def provider() -> VideoProvider:
    return current_app.extensions["video_provider"]


def tickets_client() -> TicketsClient:
    return current_app.extensions["tickets_client"]


def token_lifetimes() -> dict:
    """How long a room token lives: `margin` past the slot's end, at most `max_lifetime` from now."""
    return {"margin": dt.timedelta(seconds=current_app.config["VIDEO_TOKEN_MARGIN_SECONDS"]),
            "max_lifetime": dt.timedelta(seconds=current_app.config["VIDEO_TOKEN_MAX_SECONDS"])}
