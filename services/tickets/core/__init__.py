"""Tickets: opening, messages and attachments, the status life cycle, escalation,
assignment, redaction, the customers' and the agents' endpoints."""
