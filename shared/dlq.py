"""Ops' view of a service's dead-letter queue: list what is parked, replay it.

    python -m shared.dlq list   --queue notifications.email [--limit 20] [--json]
    python -m shared.dlq replay --queue notifications.email [--limit 100]

`--queue` is the consumer's queue (its `.dlq` is read), without `QUEUE_PREFIX`, which
is added from the environment like every service does. Listing leaves the messages in
place; replaying moves them back to the service's queue with a fresh retry count, and
the consumer's idempotency makes a replay of something already handled harmless.
Needs `AMQP_URL` (and `EVENT_EXCHANGE`) as the services have them. Fields that hold
secrets (codes, tokens) are blanked in the listing.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

from shared.bus import broker_reachable, connect, event_exchange
from shared.config import amqp_url, event_exchange_name, queue_prefix
from shared.consumer import QueueTopology, dead_letters, replay_dead_letters

_SECRET = re.compile(r"(password|secret|token|code|authorization|cookie|signature)", re.I)


def queue_name(name: str, prefix: str | None = None) -> str:
    prefix = queue_prefix() if prefix is None else prefix
    name = name.removesuffix(".dlq")
    return name if not prefix or name.startswith(prefix) else prefix + name


def redact(value):
    if isinstance(value, dict):
        return {key: "[redacted]" if _SECRET.search(str(key)) and isinstance(item, (str, int)) else redact(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def summary(letter: dict) -> dict:
    body = letter["body"] if isinstance(letter["body"], dict) else {}
    if isinstance(body.get("jobs"), list) and body["jobs"]:
        body = body["jobs"][0].get("event") or {}  # a work queue's job (shared/batching.py): parked alone
    headers = letter["headers"]
    return {"event_id": body.get("id"), "type": body.get("type"), "occurred_at": body.get("occurred_at"),
            "parked_at": headers.get("x-parked-at"), "attempts": headers.get("x-retries", 0),
            "reason": headers.get("x-park-reason")}


def topology_for(name: str) -> QueueTopology:
    return QueueTopology(name, event_exchange(event_exchange_name()), [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.dlq", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--queue", required=True, help="the consumer's queue, e.g. notifications.email")
    parser.add_argument("--limit", type=int, default=None, help="at most this many messages")
    parser.add_argument("--json", action="store_true", help="list: print whole messages as JSON lines")
    args = parser.parse_args(argv)

    url = amqp_url()
    if not url or url.startswith("memory") or not broker_reachable(url):
        print("AMQP_URL must name a reachable RabbitMQ: the in-process bus keeps nothing between processes.",
              file=sys.stderr)
        return 2
    topology = topology_for(queue_name(args.queue))
    with connect(url) as connection:
        if args.command == "replay":
            moved = replay_dead_letters(connection, topology, limit=args.limit)
            print(f"replayed {moved} message(s) from {topology.dead_letter_queue.name} to {topology.name}")
            return 0
        letters = dead_letters(connection, topology, limit=args.limit or 100)
    for letter in letters:
        if args.json:
            print(json.dumps(redact(letter), default=str))
        else:
            print(json.dumps(summary(letter), default=str))
    print(f"{len(letters)} message(s) parked in {topology.dead_letter_queue.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
