"""The gateway's command line for ops: `python -m services.gateway.cli create-agent ...`,
`... reset-2fa --email ...`."""
from __future__ import annotations

import argparse
import sys

from services.gateway import accounts, audit, config, mfa
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
    outbox = Outbox(OutboxMessage, config.SERVICE)
    with db.connection_context(), db.atomic():
        account = Account.get_or_none(Account.email == accounts.normalize_email(email))
        if account is not None:
            account.role, account.tier, account.department = "agent", tier, department
            account.password_hash = accounts.hasher().hash(password)
            account.display_name = name or account.display_name
        else:
            account = accounts.create_account(outbox, email=email, password=password, role="agent", tier=tier,
                                              department=department, display_name=name)
        account.roles = roles
        account.save()
        # Made or changed: the services' agent directories learn it (the tickets service's assignment).
        accounts.publish_agent_profile(outbox, account)
        return account


def reset_2fa(email: str) -> Account | None:
    """Turn an account's two-factor sign-in off and end its sessions; it enrols again (an agent
    must, at its next login). Recorded in the audit log as `mfa.reset`."""
    settings = config.settings()
    init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    with db.connection_context(), db.atomic():
        account = Account.get_or_none(Account.email == accounts.normalize_email(email))
        if account is not None:
            mfa.reset(account)
            audit.record("mfa.reset", actor_role="ops", target_type="account", target_id=account.id,
                         details={"email": account.email})
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
    reset = sub.add_parser("reset-2fa", help="turn an account's two-factor sign-in off (a lost phone and lost "
                                             "recovery codes) and end its sessions")
    reset.add_argument("--email", required=True)
    args = parser.parse_args(argv)
    if args.command == "reset-2fa":
        account = reset_2fa(args.email)
        if account is None:
            print(f"no account {args.email}", file=sys.stderr)
            return 1
        print(f"two-factor sign-in of {account.email} is off and its sessions are ended")
        return 0
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
