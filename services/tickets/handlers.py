"""Event handlers of the tickets service: plain functions in one table.

Empty until the service consumes other services' events (the video calls'
history messages arrive here).
"""
HANDLERS: dict[str, list] = {}
