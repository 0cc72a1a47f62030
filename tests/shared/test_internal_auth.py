"""Internal tokens: every service refuses a missing, forged, expired or misdirected one."""
import datetime as dt
import importlib

import jwt
import pytest

from shared import clock, internal_auth
from shared.errors import ApiError
from shared.internal_auth import Caller, sign_internal_token, verify_internal_token
from tests.conftest import close_database
from tests.support import ISSUER, SECRET, customer


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(f"services.{name}.app") is not None
    except ModuleNotFoundError:
        return False


SERVICES = [name for name in ("tickets", "notifications", "video", "referrals") if _exists(name)]


@pytest.fixture(params=SERVICES)
def service(request, tmp_path):
    module = importlib.import_module(f"services.{request.param}.app")
    app = module.create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/{request.param}.db",
                             "INTERNAL_TOKEN_SECRET": SECRET, "ATTACHMENT_DIR": str(tmp_path / "files"),
                             "TESTING": True})
    yield request.param, app.test_client()
    close_database(importlib.import_module(f"services.{request.param}.models").db)


def protected_path(name: str) -> str:
    return {"tickets": "/api/v1/tickets", "notifications": "/api/v1/notifications",
            "video": "/api/v1/video-calls", "referrals": "/api/v1/referrals/me"}[name]


def test_health_needs_no_token(service):
    _, client = service
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_valid_token_is_accepted(service):
    name, client = service
    token = sign_internal_token(Caller(**customer(5)), name, SECRET, ISSUER)
    assert client.get(protected_path(name), headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("case", ["missing", "forged", "expired", "other_audience", "garbage", "wrong_issuer"])
def test_bad_tokens_are_401(service, case):
    name, client = service
    caller = Caller(**customer(5))
    now = clock.now().replace(tzinfo=dt.UTC)
    tokens = {
        "missing": None,
        "forged": sign_internal_token(caller, name, "another-secret-of-enough-length", ISSUER),
        "expired": jwt.encode({"iss": "gateway", "aud": name, "iat": now - dt.timedelta(minutes=5),
                               "exp": now - dt.timedelta(minutes=4), "caller": caller.claims()}, SECRET,
                              algorithm="HS256"),
        "other_audience": sign_internal_token(caller, "gateway" if name != "gateway" else "tickets", SECRET, ISSUER),
        "garbage": "not.a.jwt",
        "wrong_issuer": jwt.encode({"iss": "someone", "aud": name, "iat": now, "exp": now + dt.timedelta(seconds=60),
                                    "caller": caller.claims()}, SECRET, algorithm="HS256"),
    }
    headers = {"Authorization": f"Bearer {tokens[case]}"} if tokens[case] else {}
    response = client.get(protected_path(name), headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "not_authenticated"


def test_tokens_name_the_gateway_as_their_issuer_as_before(service):
    """A token signed the way gateways of earlier releases sign them is still good, during a rollout too."""
    name, client = service
    now = clock.now().replace(tzinfo=dt.UTC)
    token = jwt.encode({"iss": "gateway", "aud": name, "iat": now, "exp": now + dt.timedelta(seconds=60),
                        "caller": Caller(**customer(5)).claims()}, SECRET, algorithm="HS256")
    assert client.get(protected_path(name), headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert jwt.decode(sign_internal_token(Caller(**customer(5)), name, SECRET, ISSUER), SECRET, audience=name,
                      algorithms=["HS256"], options={"verify_exp": False})["iss"] == "gateway"


def test_token_expires_after_sixty_seconds_by_the_injected_clock(service):
    name, client = service
    token = sign_internal_token(Caller(**customer(5)), name, SECRET, ISSUER)
    assert client.get(protected_path(name), headers={"Authorization": f"Bearer {token}"}).status_code == 200
    clock.clock.advance(dt.timedelta(seconds=70))  # the token was checked (and kept) before: its expiry still holds
    assert client.get(protected_path(name), headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_checked_token_is_not_checked_again_but_only_under_the_secrets_that_checked_it(monkeypatch):
    monkeypatch.setattr(internal_auth, "_VERIFIED", {})  # an earlier test may have checked the same token
    token = sign_internal_token(Caller(**customer(5)), "tickets", SECRET, ISSUER)
    decodes = []
    real_decode = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *args, **kwargs: decodes.append(1) or real_decode(*args, **kwargs))

    callers = [verify_internal_token(token, "tickets", SECRET, issuer=ISSUER) for _ in range(3)]

    assert [caller.user_id for caller in callers] == [5, 5, 5] and len(decodes) == 1
    with pytest.raises(ApiError):  # the secret rotated away: its tokens are refused, cached or not
        verify_internal_token(token, "tickets", "new-secret-" + "n" * 24, issuer=ISSUER)
    with pytest.raises(ApiError):
        verify_internal_token(token, "video", SECRET, issuer=ISSUER)


def test_readiness_reports_an_unreachable_broker(tmp_path):
    from services.tickets.app import create_app
    from services.tickets.models import db

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "INTERNAL_TOKEN_SECRET": SECRET,
                      "ATTACHMENT_DIR": str(tmp_path / "f"), "AMQP_URL": "amqp://guest:guest@127.0.0.1:1//"})
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503 and response.json["error"]["code"] == "not_ready"
        assert app.test_client().get("/healthz").status_code == 200
    finally:
        close_database(db)


def test_rotation_accepts_the_previous_secret_for_its_tokens(tmp_path):
    from services.tickets.app import create_app
    from services.tickets.models import db

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/t.db", "INTERNAL_TOKEN_SECRET": "new-secret-" + "n" * 24,
                      "INTERNAL_TOKEN_PREVIOUS_SECRET": SECRET, "ATTACHMENT_DIR": str(tmp_path / "f")})
    try:
        client = app.test_client()
        old = sign_internal_token(Caller(**customer(5)), "tickets", SECRET, ISSUER)
        new = sign_internal_token(Caller(**customer(5)), "tickets", "new-secret-" + "n" * 24, ISSUER)
        other = sign_internal_token(Caller(**customer(5)), "tickets", "unrelated-secret-" + "u" * 20, ISSUER)
        assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {new}"}).status_code == 200
        assert client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    finally:
        close_database(db)


def test_made_secrets_are_whole_and_shared(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from shared.config import secret

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOME_TEST_SECRET", raising=False)
    with ThreadPoolExecutor(8) as pool:
        values = set(pool.map(lambda _: secret("SOME_TEST_SECRET"), range(32)))
    assert len(values) == 1 and len(values.pop()) >= 40
