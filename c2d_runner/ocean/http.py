"""HTTP transport: one requests.Session per service base URL, a timeout on every request, retries
with backoff for idempotent calls only, and translation of transport failures into OceanError.

Start, stop and delete are never retried here: a start whose answer was lost may have created (and
paid for) a job, so the caller must reconcile (GET compute) instead of re-sending.  initializeCompute
is a quote without side effects and is retried like a GET.
"""
from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from c2d_runner.ocean.errors import ServiceError
from c2d_runner.wire import bounded_number

if TYPE_CHECKING:
    from c2d_runner.ocean.budget import RequestBudget

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A 429 or a 503 is a refusal before any handler ran (a rate limit, an overloaded or restarting
# service, a load balancer without a backend), so even a start may be sent again after one.
RATE_LIMITED = 429
UNAVAILABLE = 503
_MAX_DETAIL = 500
RETRY_AFTER_LIMIT = 10**9  # seconds; the wait itself is capped by RetryPolicy.retry_after_max
# A service silent for this many read timeouts in a row is taken as hung (see _refuse_if_silent).
SILENCE_TIMEOUTS = 2
_UNCERTAIN = "; not retried: the request may have taken effect, check before sending it again"
# Front ends show WARNING (retries) by default and INFO (each call) with -v; the library sets no handler.
log = logging.getLogger("c2d_runner.http")
_SECRET_PARAMS = ("signature", "key", "token", "authorization")


def shown_call(method: str, url: str, params: Any = None) -> str:
    """`METHOD url?params` for a log line, with signatures, keys and tokens redacted."""
    if not params:
        return f"{method} {url}"
    shown = "&".join(f"{k}={'<redacted>' if any(s in str(k).lower() for s in _SECRET_PARAMS) else v}"
                     for k, v in params.items())
    return f"{method} {url}?{shown}"


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent calls are retried: attempts after the first, exponential backoff, 429 cap."""

    retries: int = 3
    backoff: float = 0.25
    backoff_max: float = 8.0
    retry_after_max: float = 60.0  # an Ocean Node's rate limit counts per minute

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        base = min(self.backoff * (2 ** (attempt - 1)), self.backoff_max)
        # A little jitter keeps many threads from hammering a recovering service in step.
        return base * (0.8 + 0.4 * random.random())


def base_url(url: str) -> str:
    """scheme://host:port of a URL, the key sessions and root maps are cached under."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(url: str) -> bool:
    """True when the URL points at this machine (fast polling is fine there)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    seconds = bounded_number(value, RETRY_AFTER_LIMIT)
    if seconds is not None:
        return max(float(seconds), 0.0)
    if value[:1].isdigit() or value[:1] in "+-.":
        return None  # a number out of bounds (or NaN, inf): not a date either
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(when - (time.time() if now is None else now), 0.0)


def error_detail(response: "requests.Response") -> tuple[str, Any]:
    """The service's own error text and decoded body, for every shape the Provider/Aquarius use.

    Shapes: {"error": "text"}, {"error": {resource: code}}, flask-sieve
    {"errors": {field: [msgs] | "text"}, "message": ...}, a JSON string, a JSON list of
    {"message"}, and plain text or HTML from proxies.
    """
    text = response.text or ""
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if body is None:
        snippet = " ".join(text.split())[:_MAX_DETAIL]
        return (snippet or response.reason or "empty response"), (text or None)
    return _describe(body), body


def _describe(body: Any) -> str:
    if isinstance(body, str):
        return body[:_MAX_DETAIL]
    if isinstance(body, dict):
        if "error" in body:
            err = body["error"]
            if isinstance(err, dict):
                return "; ".join(f"{k}: {v}" for k, v in err.items()) or "error"
            return str(err)[:_MAX_DETAIL]
        if "errors" in body:
            errs = body["errors"]
            if isinstance(errs, dict):
                parts = []
                for field, msgs in errs.items():
                    msgs = msgs if isinstance(msgs, list) else [msgs]
                    parts.append(f"{field}: {' '.join(str(m) for m in msgs)}")
                return "; ".join(parts)[:_MAX_DETAIL] or "errors"
            return str(errs)[:_MAX_DETAIL]
        if "message" in body:
            return str(body["message"])[:_MAX_DETAIL]
    if isinstance(body, list) and body and isinstance(body[0], dict) and "message" in body[0]:
        return "; ".join(str(item.get("message")) for item in body if isinstance(item, dict))
    return json.dumps(body)[:_MAX_DETAIL]


class HttpClient:
    """Sessions keyed by base URL, default timeout, retry policy and a request counter."""

    def __init__(
        self,
        timeout: tuple[float, float] = (10.0, 30.0),
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._sessions: dict[str, requests.Session] = {}
        self._lock = threading.Lock()
        self._count = 0
        self._by_endpoint: Counter[str] = Counter()
        self._budgets: dict[str, "RequestBudget"] = {}
        # base URL -> when the first request that then timed out was sent, since its last answer
        self._silent_since: dict[str, float] = {}
        self._clock = time.monotonic

    def set_budget(self, url: str, budget: "RequestBudget") -> None:
        """Send every request to this URL's base through `budget` (requests per minute, 429 pauses)."""
        with self._lock:
            self._budgets[base_url(url)] = budget

    def budget(self, url: str) -> "RequestBudget | None":
        """The request budget of this URL's base, if one was set."""
        with self._lock:
            return self._budgets.get(base_url(url))

    @property
    def request_count(self) -> int:
        """HTTP requests actually sent (each retry counts)."""
        return self._count

    @property
    def requests_by_endpoint(self) -> dict[str, int]:
        """Requests sent per "METHOD path" (query strings left out), for benchmarks and reports."""
        with self._lock:
            return dict(self._by_endpoint)

    def session(self, url: str) -> "requests.Session":
        """The one Session for this URL's base, created on first use (keeps connections alive)."""
        key = base_url(url)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = requests.Session()
                adapter = HTTPAdapter(pool_connections=1, pool_maxsize=32, max_retries=0)
                session.mount(key + "/", adapter)
                session.headers["User-Agent"] = "c2d-runner"
                self._sessions[key] = session
            return session

    def close(self) -> None:
        """Close every session (idempotent)."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        error_cls: type[ServiceError],
        idempotent: bool,
        params: dict | Callable[[], dict] | None = None,
        json_body: Any = None,
        stream: bool = False,
        timeout: tuple[float, float] | float | None = None,
        ok_statuses: tuple[int, ...] = (200, 201),
        before_attempt: Callable[[], None] | None = None,
        attempt_lock: Any = None,
    ) -> "requests.Response":
        """Send one request; retry only when `idempotent`; raise `error_cls` unless the status is ok.

        `params` may be a callable, called before every attempt: signed calls re-sign with a
        fresh nonce on a retry, because the provider may already have stored the first one.
        `before_attempt` runs first (e.g. fetching the provider's nonce); `attempt_lock` is held
        from building `params` until the answer's headers arrive, and never while sleeping.
        """
        endpoint = f"{method} {url}"
        attempts = 1 + (self.retry.retries if idempotent else 0)
        budget = self.budget(url)
        rate_limited = 0
        attempt = 0
        read_timeout = _read_timeout(timeout or self.timeout)
        while attempt < attempts:
            attempt += 1
            last = attempt == attempts
            self._refuse_if_silent(url, read_timeout, endpoint, error_cls)
            try:
                if before_attempt is not None:
                    before_attempt()
                if budget is not None:
                    budget.acquire()
                with attempt_lock if attempt_lock is not None else contextlib.nullcontext():
                    with self._lock:
                        self._count += 1
                        self._by_endpoint[f"{method} {urlsplit(url).path or '/'}"] += 1
                    sent = params() if callable(params) else params
                    if log.isEnabledFor(logging.INFO):
                        log.info("%s", shown_call(method, url, sent))
                    response = self.session(url).request(
                        method,
                        url,
                        params=sent,
                        json=json_body,
                        stream=stream,
                        timeout=timeout or self.timeout,
                    )
            except requests.Timeout as exc:
                if not isinstance(exc, requests.ConnectTimeout):
                    self._note_silence(url, read_timeout)
                    self._refuse_if_silent(url, read_timeout, endpoint, error_cls, sent=not idempotent)
                if not last:
                    self._retrying(endpoint, f"timed out ({type(exc).__name__})", attempt, attempts,
                                   self.retry.delay(attempt, None))
                    continue
                # A connect timeout means nothing was sent; a read timeout may hide a done deed.
                uncertain = not idempotent and not isinstance(exc, requests.ConnectTimeout)
                raise error_cls(
                    f"timed out ({_timeout_text(timeout or self.timeout)}): {type(exc).__name__}"
                    + (_UNCERTAIN if uncertain else ""),
                    endpoint=endpoint,
                    uncertain=uncertain,
                ) from None
            except requests.ConnectionError as exc:
                if not last:
                    self._retrying(endpoint, f"cannot connect: {_short(exc)}", attempt, attempts,
                                   self.retry.delay(attempt, None))
                    continue
                reason = _short(exc)
                uncertain = not idempotent and reason != "Connection refused"
                raise error_cls(
                    f"cannot connect: {reason}" + (_UNCERTAIN if uncertain else ""),
                    endpoint=endpoint,
                    uncertain=uncertain,
                ) from None
            except requests.RequestException as exc:
                raise error_cls(f"request failed: {_short(exc)}", endpoint=endpoint) from None
            self._heard(url)
            log.info("%s -> HTTP %s", endpoint, response.status_code)
            if response.status_code in ok_statuses:
                return response
            if (response.status_code == RATE_LIMITED or (response.status_code == UNAVAILABLE and not idempotent)) \
                    and rate_limited < self.retry.retries:
                rate_limited += 1
                attempt -= 1  # a refusal before any handler ran: not an attempt of the call
                wait = self._rate_limit_wait(response, rate_limited)
                log.warning("%s: HTTP %s, refused; waiting %.1f s", endpoint, response.status_code, wait)
                if budget is not None and response.status_code == RATE_LIMITED:
                    budget.pause(wait)  # every caller on this target waits, not only this one
                else:
                    self._sleep(wait)
                continue
            if idempotent and not last and response.status_code in RETRY_STATUSES:
                wait = self.retry.delay(attempt, parse_retry_after(response.headers.get("Retry-After")))
                response.close()
                self._retrying(endpoint, f"HTTP {response.status_code}", attempt, attempts, wait)
                continue
            try:
                detail, body = error_detail(response)
            finally:
                response.close()
            raise error_cls(detail, status=response.status_code, endpoint=endpoint, body=body)
        raise AssertionError("unreachable")  # pragma: no cover


    def _retrying(self, endpoint: str, why: str, attempt: int, attempts: int, wait: float) -> None:
        """Say the retry as it happens (a silent minute of retries reads as a hang), then wait."""
        log.warning("%s: %s; retry %d of %d in %.1f s", endpoint, why, attempt, attempts - 1, wait)
        self._sleep(wait)

    # -- a service that accepts connections and never answers ------------------------------------
    # Retries would multiply the read timeout by every attempt of every call (minutes); once the
    # service has answered nothing for SILENCE_TIMEOUTS read timeouts, every call to it fails at once.

    def _heard(self, url: str) -> None:
        with self._lock:
            self._silent_since.pop(base_url(url), None)

    def _note_silence(self, url: str, read_timeout: float) -> None:
        with self._lock:
            self._silent_since.setdefault(base_url(url), self._clock() - read_timeout)

    def _refuse_if_silent(self, url: str, read_timeout: float, endpoint: str, error_cls: type[ServiceError],
                          sent: bool = False) -> None:
        with self._lock:
            since = self._silent_since.get(base_url(url))
        silent = self._clock() - since if since is not None else 0.0
        if since is not None and silent >= SILENCE_TIMEOUTS * read_timeout:
            raise error_cls(
                f"no answer for {silent:.0f} s: the service at {base_url(url)} accepts connections but answers "
                f"nothing (requests time out after {read_timeout:g} s)" + (_UNCERTAIN if sent else ""),
                endpoint=endpoint, uncertain=sent)

    def _rate_limit_wait(self, response: "requests.Response", attempt: int) -> float:
        """The wait a 429 asks for: Retry-After, or an Ocean Node's "Try again in N seconds" text."""
        from c2d_runner.ocean.node.replies import try_again_seconds

        try:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = try_again_seconds(response.text)
        finally:
            response.close()
        if wait is None:
            return self.retry.delay(attempt, None)
        return min(wait, self.retry.retry_after_max)


def _read_timeout(timeout: tuple[float, float] | float) -> float:
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _timeout_text(timeout: tuple[float, float] | float) -> str:
    if isinstance(timeout, tuple):
        return f"connect {timeout[0]:g} s, read {timeout[1]:g} s"
    return f"{timeout:g} s"


def _short(exc: Exception) -> str:
    # urllib3 wraps the useful reason (e.g. "Connection refused") deep inside a long repr.
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Connection reset",
                   "Remote end closed connection", "Connection aborted"):
        if marker in text:
            return marker
    return text[:_MAX_DETAIL]
