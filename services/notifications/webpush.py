"""Web Push itself: the VAPID key pair, a subscription's keys, and the sender that encrypts a payload for one
browser (aes128gcm) and signs it with the service's VAPID key (RFC 8030, 8291, 8292)."""
from __future__ import annotations

import base64
import dataclasses
from typing import TYPE_CHECKING

from services.notifications.config import vapid_subject
from services.notifications.models import PushSubscription
from services.notifications.push_safety import EndpointRefused, allowed_hosts, check_endpoint

if TYPE_CHECKING:
    from py_vapid import Vapid


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclasses.dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid
    public_key: str  # the browser's `applicationServerKey`: an uncompressed P-256 point, base64url


def load_vapid(settings: dict) -> VapidKeys:
    """The keys of VAPID_PRIVATE_KEY (raw 32-byte scalar, base64url; config.py makes one per DATA_DIR when
    the environment has none)."""
    # Here, not at import: the push channel loads its keys with its first push (push.py).
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    vapid = Vapid.from_string(settings["VAPID_PRIVATE_KEY"])
    public = b64url(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint))
    configured = settings.get("VAPID_PUBLIC_KEY")
    if configured and configured.rstrip("=") != public:
        raise ValueError("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY")
    return VapidKeys(vapid, public)


def check_keys(p256dh: str, auth: str) -> None:
    """The browser's ECDH public key (65-byte uncompressed point) and 16-byte auth secret."""
    try:
        point, secret_bytes = b64url_decode(p256dh), b64url_decode(auth)
    except (ValueError, TypeError) as exc:
        raise ValueError("The keys must be base64url.") from exc
    if len(point) != 65 or point[0] != 4:
        raise ValueError("keys.p256dh must be an uncompressed P-256 public key.")
    if len(secret_bytes) != 16:
        raise ValueError("keys.auth must be 16 bytes.")


class SubscriptionGone(RuntimeError):
    """The push service says the subscription is gone (404/410), or its endpoint is one we do not call."""


class PushFailed(RuntimeError):
    """The push service did not take the message; the consumer retries it later."""


class WebPushSender:
    """The `webpush` PUSH_BACKEND: endpoints checked (push_safety.py) before and, with the address pinned, while
    sending."""

    def __init__(self, settings: dict, keys: VapidKeys) -> None:
        self.settings = settings
        self.keys = keys
        self.allowed = allowed_hosts(settings)
        self._session = None

    @property
    def session(self):
        """The checked session (push_session.py), made at the first push: until a user subscribes a browser
        the worker holds no requests or urllib3 (issue 23)."""
        if self._session is None:
            from services.notifications.push_session import checked_session

            self._session = checked_session(self.allowed)
        return self._session

    def send(self, subscription: PushSubscription, payload: str) -> None:
        # Imported on the first push: pywebpush brings aiohttp, 17 MB that a process which sends no push
        # (the web app, a worker without the push channel) need not hold (issue 23).
        import requests
        from py_vapid import VapidException
        from pywebpush import WebPushException, webpush

        info = {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        try:
            # Rows from before these checks, too: the address itself is checked again as the session connects.
            check_endpoint(subscription.endpoint, self.allowed, resolve=False)
            webpush(info, data=payload, vapid_private_key=self.keys.vapid,
                    vapid_claims={"sub": vapid_subject(self.settings)}, ttl=self.settings["PUSH_TTL_SECONDS"],
                    timeout=self.settings["PUSH_TIMEOUT"], headers={"Urgency": "normal"},
                    requests_session=self.session)
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise SubscriptionGone(str(status)) from exc
            raise PushFailed(f"the push service answered {status}") from exc
        except (EndpointRefused, VapidException) as exc:  # VAPID cannot name some hosts (IPv6 literals)
            raise SubscriptionGone("not a public push service") from exc
        except requests.RequestException as exc:
            raise PushFailed(f"the push service is unreachable: {type(exc).__name__}") from exc
