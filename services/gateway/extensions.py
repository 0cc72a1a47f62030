"""The gateway's process-wide helpers: the rate limiter and the outbox accessor."""
from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from shared import metrics
from shared.errors import ApiError
from shared.outbox import Outbox


def remote_address() -> str:
    return request.remote_addr or "unknown"


class RateLimiter:
    """Limits on the few views that need them (login, registration, guest tickets).

    Built on `limits` directly rather than a per-request hook, so the forwarding hot
    path pays nothing for limits it does not have. The store is `RATELIMIT_STORAGE_URI`
    (memory for one process; redis:// when several gateway processes must share counts).
    """

    def __init__(self) -> None:
        self._strategy: MovingWindowRateLimiter | None = None
        self._storage = None

    def init_app(self, app) -> None:
        self._storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
        self._strategy = MovingWindowRateLimiter(self._storage)
        app.extensions["rate_limiter"] = self

    def reset(self) -> None:
        if self._storage is not None:
            self._storage.reset()

    def limit(self, limit_value: Callable[[], str] | str,
              key_func: Callable[[], str | None] = remote_address):
        """Decorate a view: at most `limit_value` (e.g. "10/minute") per key, else 429 with `Retry-After`.

        A `key_func` that returns None exempts the request from this limit (it has no such
        key, e.g. no email): requests without one never share a bucket.
        """

        def decorator(view):
            scope = _scope(view, key_func)

            @functools.wraps(view)
            def limited(*args, **kwargs):
                key = key_func()
                if key is not None:
                    item = _item(limit_value)
                    strategy = _strategy()
                    if not strategy.hit(item, scope, key):
                        raise _rate_limited(strategy, item, scope, key)
                return view(*args, **kwargs)

            limited.rate_limited = True  # the public OpenAPI document lists 429 for it
            return limited

        return decorator

    def limit_failures(self, limit_value: Callable[[], str] | str, key_func: Callable[[], str | None],
                       failed: Callable[[ApiError], bool]):
        """Decorate a view: once `limit_value` failures (the view raised an ApiError that
        `failed` accepts) are counted for a key, 429 until the window lets one go.

        Successes cost nothing. The check and the count are two steps, so a burst of
        concurrent failures may go a few over the limit before the next is refused.
        """

        def decorator(view):
            scope = _scope(view, key_func)

            @functools.wraps(view)
            def limited(*args, **kwargs):
                key = key_func()
                if key is None:
                    return view(*args, **kwargs)
                item = _item(limit_value)
                strategy = _strategy()
                if not strategy.test(item, scope, key):
                    raise _rate_limited(strategy, item, scope, key)
                try:
                    return view(*args, **kwargs)
                except ApiError as error:
                    if failed(error):
                        strategy.hit(item, scope, key)
                    raise

            limited.rate_limited = True  # the public OpenAPI document lists 429 for it
            return limited

        return decorator


def _scope(view, key_func) -> str:
    # as_view names the view after its endpoint before decorating it, so each view has its own scope.
    return f"{view.__module__}.{view.__name__}:{getattr(key_func, '__name__', 'key')}"


def _item(limit_value):
    return parse(limit_value() if callable(limit_value) else limit_value)


def _strategy() -> MovingWindowRateLimiter:
    return current_app.extensions["rate_limiter"]._strategy


def _rate_limited(strategy: MovingWindowRateLimiter, item, scope: str, key: str) -> ApiError:
    metrics.count_refusal(scope)
    reset_at = strategy.get_window_stats(item, scope, key).reset_time
    retry_after = max(1, int(reset_at - time.time() + 0.999))
    return ApiError(429, "rate_limited", "Too many attempts; please wait and try again.",
                    {"retry_after": retry_after}, {"Retry-After": str(retry_after)})


limiter = RateLimiter()


def outbox() -> Outbox:
    return current_app.extensions["outbox"]
