"""One contract for every email sender and every push sender EMAIL_BACKEND and PUSH_BACKEND can name
(senders.py): what a channel may count on, whichever provider is behind it."""
import logging
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from services.notifications.handover import AlreadyDelivered
from services.notifications.mail import build_message
from services.notifications.senders import EMAIL_BACKENDS, PUSH_BACKENDS, make_email_sender, make_push_sender
from services.notifications.webpush import PushFailed, SubscriptionGone, b64url, load_vapid
from tests.notifications.conftest import app_settings
from tests.notifications.push_receiver import PushReceiver


class Probe:
    """What each email backend leaves behind for a message that went."""

    def __init__(self, backend: str, smtp, folder, caplog) -> None:
        self.backend, self.smtp, self.folder, self.caplog = backend, smtp, folder, caplog

    def delivered(self) -> list[str]:
        """The subjects that arrived (null: none ever arrives)."""
        if self.backend == "smtp":
            return [str(m["Subject"]) for m in self.smtp.messages]
        if self.backend == "folder":
            return ["Contract" for _ in self.folder.glob("*.eml")] if self.folder.exists() else []
        if self.backend == "console":
            return [r.subject for r in self.caplog.records if r.getMessage() == "email (console backend)"]
        return []


@pytest.fixture(params=EMAIL_BACKENDS)
def email_sender(request, smtp, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    settings = {**smtp.settings(), "EMAIL_BACKEND": request.param, "MAIL_DIR": str(tmp_path / "mail")}
    sender = make_email_sender(settings)
    yield sender, Probe(request.param, smtp, tmp_path / "mail", caplog)
    sender.close()


def message(code: str = "483920"):
    return build_message(sender="no-reply@support.example", sender_name="Support", recipient="kim@example.com",
                         subject="Contract", plain=f"Your code is {code}.", html=f"<p>{code}</p>",
                         msgid="<contract@support.example>", locale="en")


def test_an_email_sender_records_once_as_it_hands_the_message_over(email_sender):
    sender, probe = email_sender
    calls = []

    def record():
        calls.append("record")
        return lambda: calls.append("settled")

    sender.send(message(), "no-reply@support.example", "kim@example.com", record, lambda: calls.append("undo"))
    assert calls == ["record", "settled"]
    expected = [] if probe.backend == "null" else ["Contract"]
    assert probe.delivered() == expected
    assert all("483920" not in r.getMessage() + str(r.__dict__) for r in probe.caplog.records)  # never the body


def test_an_email_sender_sends_nothing_the_record_says_went_before(email_sender):
    sender, probe = email_sender

    def already():
        raise AlreadyDelivered("event")

    with pytest.raises(AlreadyDelivered):
        sender.send(message(), "no-reply@support.example", "kim@example.com", already,
                    lambda: pytest.fail("nothing to undo"))
    assert probe.delivered() == []


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="EMAIL_BACKEND"):
        make_email_sender({"EMAIL_BACKEND": "pigeon"})


@pytest.fixture
def receiver():
    service = PushReceiver()
    yield service
    service.close()


@pytest.fixture(params=PUSH_BACKENDS)
def push_sender(request, receiver, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    settings = app_settings(f"sqlite:///{tmp_path}/n.db", PUSH_ALLOWED_HOSTS=[receiver.host_port],
                            PUSH_BACKEND=request.param, PUSH_TTL_SECONDS=60, PUSH_TIMEOUT=5.0,
                            VAPID_PRIVATE_KEY=b64url(key), VAPID_SUBJECT="mailto:ops@support.example")
    return request.param, make_push_sender(settings, load_vapid(settings))


def subscription(browser: dict, id_: int = 1) -> SimpleNamespace:
    return SimpleNamespace(id=id_, endpoint=browser["endpoint"], p256dh=browser["keys"]["p256dh"],
                           auth=browser["keys"]["auth"])


def test_a_push_sender_takes_a_payload_for_a_live_browser(push_sender, receiver):
    backend, sender = push_sender
    assert sender.send(subscription(receiver.browser("laptop")), '{"title": "t"}') is None
    if backend == "webpush":
        assert receiver.wait_for(1)[0]["payload"] == {"title": "t"}
    else:
        assert receiver.hits == {}


def test_a_push_sender_fails_only_in_the_two_ways_a_channel_knows(push_sender, receiver):
    backend, sender = push_sender
    outcomes = []
    for target in (subscription(receiver.browser("gone", status=410)),
                   subscription(receiver.browser("broken", status=503), 2)):
        try:
            outcomes.append(sender.send(target, "{}"))
        except (SubscriptionGone, PushFailed) as exc:  # anything else fails the contract
            outcomes.append(type(exc))
    assert outcomes == ([SubscriptionGone, PushFailed] if backend == "webpush" else [None, None])
