"""The referrals worker: relays the outbox, judges milestones from the events it
consumes, and credits opened boxes' ledger entries every second.

Run alone with `python -m services.referrals.worker`.
"""
from __future__ import annotations

from services.referrals import config, ledger
from services.referrals.handlers import handlers
from services.referrals.models import OutboxMessage, ProcessedEvent, db, init_database
from services.referrals.program import ReferralProgram
from shared.bus import resolve_broker_url
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import PeriodicJob, ServiceWorker, build_worker


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> ServiceWorker:
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    outbox = outbox or Outbox(OutboxMessage, producer=config.SERVICE)
    program = ReferralProgram.from_settings(settings, outbox)

    def credit_rewards() -> int:
        with database.connection_context():
            return ledger.credit_pending(outbox, settings["REFERRAL_CREDIT_BATCH"])

    return build_worker(
        config.SERVICE, database=database, outbox=outbox,
        broker_url=resolve_broker_url(settings["AMQP_URL"]), exchange_name=settings["EVENT_EXCHANGE"],
        queue_prefix=settings["QUEUE_PREFIX"], handlers=handlers(program), processed_model=ProcessedEvent,
        jobs=[PeriodicJob("credit-rewards", settings["REFERRAL_CREDIT_INTERVAL_SECONDS"], credit_rewards)],
    )


def main() -> None:
    configure_logging()
    create_worker().run_forever()


if __name__ == "__main__":
    main()
