"""Deployment helpers: gunicorn settings, health checks, the local multi-process run."""
