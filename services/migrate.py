"""Apply (or check) the services' database migrations, outside their web processes.

    python -m services.migrate tickets            # apply what is pending
    python -m services.migrate all                # every service whose package is here
    python -m services.migrate tickets --check    # exit 1 while migrations are pending
    python -m services.migrate tickets --check --wait 300   # poll until none are pending

Each service's database is `<NAME>_DATABASE_URL`, else `DATABASE_URL`, else its SQLite
file under DATA_DIR, as the service itself reads it. The Kubernetes migrations Job runs
the first form and each Deployment's init container the last.
"""
from __future__ import annotations

import argparse
import sys

from services import registry
from shared import migrate
from shared.config import database_url


def service(name: str) -> registry.Service:
    found = registry.BY_NAME[name]
    if not found.installed():
        raise SystemExit(f"no service package {found.package}")
    return found


def apply(name: str) -> list[str]:
    """Apply the service's pending migrations; return their names."""
    return migrate.apply(service(name).app_module(), database_url(name))


def pending(name: str) -> list[str]:
    """The service's migrations not yet applied (all of them before its schema exists)."""
    return migrate.pending(database_url(name), name, service(name).app_module().MIGRATIONS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.migrate")
    parser.add_argument("service", choices=[*registry.BY_NAME, "all"])
    parser.add_argument("--check", action="store_true", help="apply nothing; exit 1 while some are pending")
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="with --check: poll until none are pending, at most this long")
    args = parser.parse_args(argv)
    names = ([s.name for s in registry.ALL if s.installed()] if args.service == "all" else [args.service])

    if not args.check:
        for name in names:
            migrate.report(message="migrations applied", service=name, applied=apply(name))
        return 0
    return 0 if migrate.wait_until_applied(lambda: {name: pending(name) for name in names}, args.wait) else 1


if __name__ == "__main__":
    sys.exit(main())
