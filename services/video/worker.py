"""The video worker: relays the outbox and runs the reminder scheduler.

Run alone with `python -m services.video.worker`; any number of replicas may run.
"""
from __future__ import annotations

from services.video import config, reminders
from services.video.models import OutboxMessage, db, init_database
from services.video.rules import Rules
from shared.bus import resolve_broker_url
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import PeriodicJob, ServiceWorker, build_worker


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> ServiceWorker:
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    outbox = outbox or Outbox(OutboxMessage, producer=config.SERVICE)
    rules = Rules.from_settings(settings)

    def send_reminders() -> int:
        return reminders.send_due_reminders(outbox, database, rules)

    return build_worker(
        config.SERVICE, database=database, outbox=outbox,
        broker_url=resolve_broker_url(settings["AMQP_URL"]), exchange_name=settings["EVENT_EXCHANGE"],
        queue_prefix=settings["QUEUE_PREFIX"],
        jobs=[PeriodicJob("reminders", settings["VIDEO_REMINDER_INTERVAL_SECONDS"], send_reminders)],
    )


def main() -> None:
    configure_logging()
    create_worker().run_forever()


if __name__ == "__main__":
    main()
