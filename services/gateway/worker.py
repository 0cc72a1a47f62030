"""The gateway's worker: relays its outbox (`user.registered.v1`, `user.app_installed.v1`, ...).

Run alone with `python -m services.gateway.worker`.
"""
from __future__ import annotations

from services.gateway import config
from services.gateway.models import OutboxMessage, db, init_database
from shared.bus import resolve_broker_url
from shared.logs import configure_logging
from shared.outbox import Outbox
from shared.worker import ServiceWorker, build_worker


def create_worker(settings: dict | None = None, outbox: Outbox | None = None) -> ServiceWorker:
    settings = settings or config.settings()
    database = db.obj or init_database(settings["DATABASE_URL"], settings["RUN_MIGRATIONS"])
    return build_worker(config.SERVICE, database=database,
                        outbox=outbox or Outbox(OutboxMessage, producer=config.SERVICE),
                        broker_url=resolve_broker_url(settings["AMQP_URL"]),
                        exchange_name=settings["EVENT_EXCHANGE"], queue_prefix=settings["QUEUE_PREFIX"])


def main() -> None:
    configure_logging()
    create_worker().run_forever()


if __name__ == "__main__":
    main()
