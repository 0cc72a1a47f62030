"""Apply (or check) a service's database migrations, outside its web process.

    python -m shared.migrate tickets            # apply what is pending
    python -m shared.migrate all                # every service package present
    python -m shared.migrate tickets --check    # exit 1 while migrations are pending
    python -m shared.migrate tickets --check --wait 300   # poll until none are pending

Each service also migrates itself on start unless `RUN_MIGRATIONS=false`; both
ways take the same PostgreSQL advisory lock, so replicas and this command never
run one migration twice. The Kubernetes migrations Job runs the first form and
each Deployment's init container the last.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

from playhouse.migrations import Runner

from shared.config import database_url
from shared.db import make_database, run_migrations

SERVICES = ("gateway", "tickets", "notifications", "video", "referrals")


def service_app(name: str):
    """The service's `app` module (it holds `init_database` and `MIGRATIONS`), or None if absent."""
    try:
        return importlib.import_module(f"services.{name}.app")
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == f"services.{name}" or exc.name.startswith(f"services.{name}.")):
            return None
        raise


def apply(name: str) -> list[str]:
    """Apply the service's pending migrations; return their names."""
    module = service_app(name)
    if module is None:
        raise SystemExit(f"no service package services.{name}")
    database = module.init_database(database_url(name), migrate=False)
    try:
        return run_migrations(database, module.MIGRATIONS)
    finally:
        _close(database)


def pending(name: str) -> list[str]:
    """The service's migrations not yet applied (all of them before its schema exists)."""
    module = service_app(name)
    if module is None:
        raise SystemExit(f"no service package services.{name}")
    database = make_database(database_url(name), name)
    try:
        with database.connection_context():
            runner = Runner(database, directory=str(module.MIGRATIONS),
                            schema=getattr(database, "_service_schema", None))
            applied = set(runner.applied())
            return [m.name for m in runner.migrations() if m.name not in applied]
    finally:
        _close(database)


def _close(database) -> None:
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


def _report(**fields) -> None:
    print(json.dumps(fields), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.migrate")
    parser.add_argument("service", choices=[*SERVICES, "all"])
    parser.add_argument("--check", action="store_true", help="apply nothing; exit 1 while some are pending")
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="with --check: poll until none are pending, at most this long")
    args = parser.parse_args(argv)
    names = [n for n in SERVICES if service_app(n) is not None] if args.service == "all" else [args.service]

    if not args.check:
        for name in names:
            _report(message="migrations applied", service=name, applied=apply(name))
        return 0

    deadline = time.monotonic() + args.wait
    while True:
        try:
            waiting = {name: pending(name) for name in names}
            error = None
        except Exception as exc:  # noqa: BLE001 - a database not up yet is one more reason to wait
            waiting, error = {}, str(exc).splitlines()[0][:200]
        if error is None and not any(waiting.values()):
            _report(message="migrations up to date", services=names)
            return 0
        if time.monotonic() >= deadline:
            _report(message="migrations pending", pending=waiting, error=error)
            return 1
        time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


if __name__ == "__main__":
    sys.exit(main())
