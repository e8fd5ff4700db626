"""When and how long to retry a request (tenacity), and how to slow down before being throttled.

The rules, from Azure DevOps' rate-limit guidance:
- 429 and 503 mean the request was not processed: wait ``Retry-After`` (capped) and resend.
- No answer, a reset connection or another 5xx is ambiguous for a write: the change may have
  been applied. Reads and idempotent writes (PUT, PATCH of a node) are resent after a backoff;
  creating writes are NOT resent here - the caller first reconciles by key (see batch.py).
- A refused connection (nothing listens: wrong URL, port or proxy) gets ``refused_attempts``
  only: it answers at once and resending does not open the port.
- A low ``X-RateLimit-Remaining`` on any answer makes the client pause before the next request.

Retries are quiet: each wait is a ``Waiting`` note (progress.py shows it as one status line,
rewritten in place), cleared when the call is over; the final error names the cause.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from backlog.ado import transport
from backlog.ado.errors import (
    ConnectionLostError,
    RefusedConnectionError,
    ServerError,
    ThrottledError,
)
from backlog.ado.progress import Waiting

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """Retry and pacing numbers. Tests shrink the waits; nothing else changes."""

    max_attempts: int = 6
    refused_attempts: int = 2  # one quick retry (a service restarting), then the clear error
    max_retry_after_s: float = 30.0  # a larger Retry-After is capped to this
    backoff_base_s: float = 0.5  # first backoff after a connection error or 5xx
    backoff_max_s: float = 8.0
    low_remaining: float = 10.0  # X-RateLimit-Remaining below this ...
    slow_down_s: float = 1.0  # ... pauses this long before the next request
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    on_wait: Callable[[str], None] | None = field(default=None, repr=False)

    def retry_after_delay(self, retry_after: float | None, attempt: int) -> float:
        if retry_after is None:
            return self.backoff_delay(attempt)
        return max(0.0, min(float(retry_after), self.max_retry_after_s))

    def backoff_delay(self, attempt: int) -> float:
        delay = min(self.backoff_base_s * (2 ** max(0, attempt - 1)), self.backoff_max_s)
        return delay * (0.5 + random.random() / 2)  # jitter: clients must not retry in step

    def pace(self, headers: dict[str, str]) -> None:
        """Honour Retry-After on a successful answer and slow down when the budget runs low."""
        retry_after = _number(headers.get("Retry-After"))
        if retry_after:
            self._wait(min(retry_after, self.max_retry_after_s), "the service asked to wait")
            return
        remaining = _number(headers.get("X-RateLimit-Remaining"))
        if remaining is not None and remaining < self.low_remaining:
            self._wait(self.slow_down_s, f"rate limit nearly used up ({remaining:g} left)")

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.on_wait:
            self.on_wait(Waiting(f"waiting {seconds:.1f} s: {why}"))
        self.sleep(seconds)
        if self.on_wait:
            self.on_wait(Waiting(""))

    def attempts_for(self, error: BaseException | None) -> int:
        if isinstance(error, RefusedConnectionError):
            return self.refused_attempts
        return self.max_attempts


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def retryable(error: BaseException, *, idempotent: bool) -> bool:
    """Whether resending is safe: always after a throttle, after faults only when idempotent."""
    if isinstance(error, ThrottledError):
        return True
    return idempotent and isinstance(error, ConnectionLostError | ServerError)


def _reason(error: BaseException | None) -> str:
    if isinstance(error, ConnectionLostError):
        return "timed out" if error.cause == "timed out" else f"connection {error.cause or 'lost'}"
    status = getattr(error, "status", None)
    return f"HTTP {status}" if status else type(error).__name__


# TypeVar rather than `def call[T]`: the project also supports Python 3.11.
def call(fn: Callable[[], T], *, policy: RetryPolicy, idempotent: bool, what: str) -> T:  # noqa: UP047
    """Run ``fn`` and resend it by the rules above; re-raise the last error when out of tries."""
    announced = False

    def attempt() -> T:
        try:
            return fn()
        except ConnectionLostError as error:  # say why (refused or lost): the budget differs
            named = transport.name_failure(error)
            if named is error:
                raise
            raise named from error

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ThrottledError):
            return policy.retry_after_delay(error.retry_after, state.attempt_number)
        return policy.backoff_delay(state.attempt_number)

    def stop(state: tenacity.RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        return state.attempt_number >= policy.attempts_for(error)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        nonlocal announced
        if policy.on_wait and state.outcome is not None:
            error = state.outcome.exception()
            seconds = state.next_action.sleep if state.next_action else 0.0
            retries = policy.attempts_for(error) - 1
            policy.on_wait(
                Waiting(
                    f"{what}: {_reason(error)}; retry {state.attempt_number} of {retries} "
                    f"in {seconds:.1f} s"
                )
            )
            announced = True

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda e: retryable(e, idempotent=idempotent)),
        wait=wait,
        stop=stop,
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except ConnectionLostError as error:
        attempts = retrying.statistics.get("attempt_number", 1)
        if attempts <= 1:
            raise
        given_up = type(error)(f"{error}; gave up after {attempts} attempts")
        given_up.cause = error.cause
        raise given_up from error
    finally:
        if announced and policy.on_wait:
            policy.on_wait(Waiting(""))
