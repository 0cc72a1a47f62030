"""The tickets worker: relays the outbox, consumes the events the service handles,
closes resolved tickets after their quiet days, and publishes SLA breaches.

Run alone with `python -m services.tickets.worker`.
"""
from __future__ import annotations

from services.tickets import config
from services.tickets.core import workflow
from services.tickets.handlers import HANDLERS
from services.tickets.models import OutboxMessage, ProcessedEvent, db, init_database
from services.tickets.sla import breaches
from shared.bus import resolve_broker_url
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import PeriodicJob, ServiceWorker, build_worker


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> ServiceWorker:
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    outbox = outbox or Outbox(OutboxMessage, producer=config.SERVICE)

    def close_quiet_tickets() -> int:
        with database.connection_context():
            with database.atomic():
                return workflow.close_quiet_resolved(outbox, settings["REOPEN_WINDOW_DAYS"])

    return build_worker(
        config.SERVICE, database=database, outbox=outbox,
        broker_url=resolve_broker_url(settings["AMQP_URL"]), exchange_name=settings["EVENT_EXCHANGE"], queue_prefix=settings["QUEUE_PREFIX"],
        handlers=HANDLERS, processed_model=ProcessedEvent,
        jobs=[PeriodicJob("auto-close", 60.0, close_quiet_tickets),
              PeriodicJob("sla-breaches", settings["SLA_BREACH_INTERVAL_SECONDS"],
                          lambda: breaches.publish_due_breaches(outbox, database))],
    )


def main() -> None:
    configure_logging()
    create_worker().run_forever()


if __name__ == "__main__":
    main()
