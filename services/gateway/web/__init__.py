"""The web front end served by the gateway: customers, guests and agents, in English,
Spanish and Traditional Chinese. `blp` is registered by the gateway's app."""
from services.gateway.web import (
    agent_pages,  # noqa: F401 - its routes join `blp`
    help_pages,  # noqa: F401 - its routes join `blp`
    video_room,  # noqa: F401 - its routes join `blp`
)
from services.gateway.web.dates import local_datetime
from services.gateway.web.errors import install as install_error_pages
from services.gateway.web.pages import blp

# Server-rendered dates in the page language's format (web/dates.py), rewritten in the reader's zone by app.js.
blp.add_app_template_filter(local_datetime)

__all__ = ["blp", "install_error_pages"]
