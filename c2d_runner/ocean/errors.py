"""The Ocean client's errors: a branch of the project's one tree (`c2d_runner.errors`).

Every error the client raises derives from `OceanError`, and so from `C2DError` with its exit
code, so a caller (the engine, the CLI) can translate them once at its boundary.  Messages are
never empty and never carry a private key: an error raised during a call made with a wallet leaves
`OceanCompute` redacted with that wallet's key (`c2d_runner.redaction`), so even a provider that
echoes its request back (the Python provider's global error handler puts the request data in
`context`) cannot make us print a secret.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from c2d_runner.ocean.records import JobStatus

from c2d_runner import exitcodes
from c2d_runner.errors import C2DError


class OceanError(C2DError):
    """Base of every error raised by the Ocean client; by default a job could not run (exit 1)."""

    exit_code = exitcodes.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message or self.__class__.__name__)

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self.args[0])


class ConfigError(OceanError, ValueError):
    """The client configuration is invalid (missing URL, bad timeout, ...)."""

    exit_code = exitcodes.INVALID


class WalletError(OceanError):
    """A consumer key could not be loaded; the message never includes the key."""

    exit_code = exitcodes.INVALID


class InvalidDID(OceanError, ValueError):
    """A string is not a `did:op:` + 64 hex DID."""

    exit_code = exitcodes.INVALID


class InvalidDDO(OceanError, ValueError):
    """A DDO cannot be read (not a mapping, no id, services malformed)."""


class UnsupportedDDO(InvalidDDO):
    """A DDO in a format this client does not speak (legacy v3: no `version`, old `service` list)."""


class InvalidComputeRequest(OceanError, ValueError):
    """Arguments that cannot make a valid compute request (no algorithm, not a compute service...)."""


class ServiceError(OceanError):
    """An HTTP service (Provider or Aquarius) refused or could not answer a request.

    `status` is the HTTP status (None when no answer came: timeout, connection refused),
    `endpoint` the "METHOD url" that was called, `detail` the service's own error text and `body`
    the decoded error body (JSON value or text) for callers that want the structured codes.
    `uncertain` is True when a request that changes state (start, stop, delete, initialize) may
    have reached the service although no answer came back: check (e.g. list the jobs) before
    sending it again. `not_ocean` is True when the answer is not in the service's wire shape at
    all (HTML, a proxy's page, not JSON): the URL does not point at an Ocean service.

    `exit_code` is per instance: infrastructure (3) when no answer came, the service answered 5xx
    or is not an Ocean service; otherwise the service refused this job's request (1).
    """

    service = "service"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        endpoint: str = "",
        body: Any = None,
        uncertain: bool = False,
        not_ocean: bool = False,
    ) -> None:
        self.status = status
        self.not_ocean = not_ocean
        unavailable = status is None or status >= 500 or not_ocean
        self.exit_code = exitcodes.INFRASTRUCTURE if unavailable else exitcodes.FAILED
        self.uncertain = uncertain
        self.endpoint = endpoint
        self.detail = detail
        self.body = body
        where = f" ({endpoint})" if endpoint else ""
        code = f"HTTP {status}" if status is not None else "no response"
        if not_ocean:  # the URL is wrong, not the DID or the job: say what the service is not
            super().__init__(f"{_base_url(endpoint) or 'the service'} is not an Ocean Provider, Ocean Node or "
                             f"Aquarius: it answered {_answer_kind(body)} ({code}{' to ' + endpoint if endpoint else ''})")
        else:
            super().__init__(f"{self.service} error, {code}{where}: {detail}")


def _base_url(endpoint: str) -> str:
    """scheme://host[:port] of a "METHOD url" endpoint."""
    from urllib.parse import urlsplit

    url = urlsplit(endpoint.split(" ", 1)[-1])
    return f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else ""


def _answer_kind(body: Any) -> str:
    """What a non-Ocean answer was: HTML (a web server or a proxy's page), other text, or JSON of another shape."""
    if isinstance(body, str):
        head = body.lstrip()[:200].lower()
        if head.startswith(("<!doctype html", "<html")) or "<html" in head:
            return "HTML"
        text = " ".join(body.split())
        return f"text, not JSON: {text[:60] + '...' if len(text) > 60 else text!r}"
    if body is None:
        return "an answer that is not JSON"
    return "JSON that is not in Ocean's shape"


class ProviderError(ServiceError):
    """The Ocean Provider answered with an error, or could not be reached."""

    service = "Provider"

    @property
    def error_codes(self) -> dict[str, str]:
        """The provider's `{"error": {resource: code}}` codes, e.g. {"dataset": "order_invalid"}."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return {str(k): str(v) for k, v in self.body["error"].items()}
        return {}


class JobNotFound(ProviderError):
    """The provider knows no such job for this consumer."""


class AquariusError(ServiceError):
    """Aquarius answered with an error, or could not be reached."""

    service = "Aquarius"


class DDONotFound(AquariusError):
    """Aquarius has no DDO for this DID."""


class AssetNotConsumable(OceanError):
    """The asset cannot be consumed; `consumable_code` uses ocean.py's ConsumableCodes values.

    1 asset disabled (no metadata, or nft.state not 0/5), 2 connectivity (fileinfo failed),
    3 consumer not in the allow list, 4 consumer in the deny list.
    """

    _MEANING = {
        1: "asset disabled (no metadata, or nft state is not active/unlisted)",
        2: "connectivity check failed (the provider cannot reach the asset's files)",
        3: "consumer address is not in the asset's allow list",
        4: "consumer address is in the asset's deny list",
        5: "asset unlisted",
    }

    def __init__(self, consumable_code: int, did: str = "") -> None:
        self.consumable_code = int(consumable_code)
        self.did = did
        meaning = self._MEANING.get(self.consumable_code, "unknown reason")
        what = f"asset {did}" if did else "asset"
        super().__init__(f"{what} is not consumable: code {self.consumable_code}, {meaning}")


class OrderRequired(OceanError):
    """The provider asks for an on-chain order (providerFee) that this client cannot make yet."""


class NoFreeEnvironment(OceanError, LookupError):
    """The provider offers no compute environment with priceMin 0."""


class ComputeTimeout(OceanError, TimeoutError):
    """A job did not reach a terminal status in time; carries the last status seen."""

    def __init__(self, job_id: str, timeout: float, last_status: "JobStatus | None") -> None:
        self.job_id = job_id
        self.timeout = timeout
        self.last_status = last_status
        seen = (f"last status {last_status.status} ({last_status.status_text.strip()})" if last_status
                else "no status received")
        super().__init__(f"compute job {job_id} not finished after {timeout:g} s; {seen}")
