"""The notifications service: inbox, live stream, preferences, Web Push and email (see app.py, worker.py)."""
