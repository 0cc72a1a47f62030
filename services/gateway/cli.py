"""The gateway's command line for ops: `python -m services.gateway.cli create-agent ...`."""
from __future__ import annotations

import argparse
import sys

from services.gateway import accounts, config
from services.gateway.app import init_database
from services.gateway.models import Account, OutboxMessage, db
from shared.logs import configure_logging
from shared.outbox import Outbox


def create_agent(email: str, password: str, tier: str, department: str | None, name: str | None,
                 editor: bool = False, supervisor: bool = False) -> Account:
    roles = ",".join(role for role, wanted in (("editor", editor), ("supervisor", supervisor)) if wanted)
    settings = config.settings()
    init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    accounts.configure_hasher(settings["PASSWORD_HASH_MEMORY_KIB"], settings["PASSWORD_HASH_TIME_COST"])
    with db.connection_context(), db.atomic():
        existing = Account.get_or_none(Account.email == accounts.normalize_email(email))
        if existing is not None:
            existing.role, existing.tier, existing.department = "agent", tier, department
            existing.password_hash = accounts.hasher().hash(password)
            existing.display_name = name or existing.display_name
            existing.roles = roles
            existing.save()
            return existing
        account = accounts.create_account(Outbox(OutboxMessage, config.SERVICE), email=email, password=password,
                                          role="agent", tier=tier, department=department, display_name=name)
        if roles:
            account.roles = roles
            account.save()
        return account


def main(argv: list[str] | None = None) -> int:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(prog="python -m services.gateway.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    agent = sub.add_parser("create-agent", help="create (or update) a support agent")
    agent.add_argument("--email", required=True)
    agent.add_argument("--password", required=True)
    agent.add_argument("--tier", default="standard", choices=["standard", "senior"])
    agent.add_argument("--department", default=None)
    agent.add_argument("--name", default=None)
    agent.add_argument("--editor", action="store_true", help="may write and publish help articles")
    agent.add_argument("--supervisor", action="store_true",
                       help="may read and export the audit log, and what else is for supervisors")
    args = parser.parse_args(argv)
    if len(args.password) < 8:
        parser.error("the password needs at least 8 characters")
    account = create_agent(args.email, args.password, args.tier, args.department or None, args.name, args.editor,
                           args.supervisor)
    roles = "".join(f", {role}" for role in account.roles.split(",") if role)
    print(f"agent {account.email} (id {account.id}, tier {account.tier}, "
          f"department {account.department or '-'}{roles}) is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
