"""Ops commands of the notifications service.

    python -m services.notifications.cli vapid-keys             # a new key pair for VAPID_* variables
    python -m services.notifications.cli vapid-public-key       # the key this deployment serves
    python -m services.notifications.cli send-test-email --to ops@example.com
    python -m services.notifications.cli dlq list|replay --channel email|push|inbox [--limit N]
"""
from __future__ import annotations

import argparse
import sys
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.notifications import config
from services.notifications.mail import build_message, message_id
from services.notifications.senders import make_email_sender
from services.notifications.webpush import b64url, load_vapid

QUEUES = {"inbox": config.INBOX_QUEUE, "email": config.EMAIL_QUEUE, "push": config.PUSH_QUEUE}


def vapid_keys() -> int:
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    public = b64url(key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint))
    print(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}")
    return 0


def send_test_email(to: str) -> int:
    settings = config.settings()
    transport = make_email_sender(settings)
    sender = config.mail_from(settings)
    message = build_message(sender=sender, sender_name=settings["MAIL_FROM_NAME"], recipient=to,
                            subject="Test email from Support", plain="Email from the notifications service works.",
                            html="<p>Email from the notifications service works.</p>",
                            msgid=message_id(str(uuid.uuid4()), to, sender.rpartition("@")[2]), locale="en")
    transport.send(message, sender, to, lambda: (lambda: None), lambda: None)  # a test: nothing to record
    transport.close()
    print(f"sent a test email to {to} through {settings['SMTP_HOST'] or settings['MAIL_DIR']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.notifications.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("vapid-keys", help="print a new VAPID key pair")
    commands.add_parser("vapid-public-key", help="print the public key browsers subscribe with")
    test_email = commands.add_parser("send-test-email", help="send one email through the configured server")
    test_email.add_argument("--to", required=True)
    dlq = commands.add_parser("dlq", help="list or replay a channel's parked messages")
    dlq.add_argument("action", choices=["list", "replay"])
    dlq.add_argument("--channel", choices=sorted(QUEUES), default="email")
    dlq.add_argument("--limit", type=int)
    dlq.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "vapid-keys":
        return vapid_keys()
    if args.command == "vapid-public-key":
        print(load_vapid(config.settings()).public_key)
        return 0
    if args.command == "send-test-email":
        return send_test_email(args.to)
    from shared import dlq as dead_letter_cli

    forwarded = [args.action, "--queue", QUEUES[args.channel]]
    if args.limit is not None:
        forwarded += ["--limit", str(args.limit)]
    if args.json:
        forwarded.append("--json")
    return dead_letter_cli.main(forwarded)


if __name__ == "__main__":
    sys.exit(main())
