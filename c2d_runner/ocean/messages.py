"""Pure builders of Provider request bodies and parsers of its answers (no I/O here)."""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from c2d_runner import wire
from c2d_runner.ocean.errors import InvalidComputeRequest, JobNotFound, OrderRequired, ProviderError
from c2d_runner.ocean.inputs import AlgorithmMetadata, ComputeInput
from c2d_runner.ocean.records import (ComputeEnvironment, InitializeResult, JobResult, JobStatus, OrderItem,
                                      Resource)

# Environment fields that operator-engine may announce as strings (from env vars).
_NUMERIC_ENV_FIELDS = (
    "priceMin", "cpuNumber", "gpuNumber", "ramGB", "diskGB", "currentJobs", "maxJobs",
    "storageExpiry", "maxJobDuration", "lastSeen",
)
# The Python Provider's environment announces totals only: (resource id, field).
_ENV_RESOURCES = (("cpu", "cpuNumber"), ("gpu", "gpuNumber"), ("ram", "ramGB"), ("disk", "diskGB"))


# Numbers a provider sends are checked by size before any arithmetic (wire.bounded_number): ids,
# counts, sizes and epoch dates all fit well below this.
NUMBER_LIMIT = 2**63


def coerce_number(value: Any) -> Any:
    """An int or float for a numeric string ("60" -> 60, "0.5" -> 0.5); anything else (including a
    number past NUMBER_LIMIT, "nan" or "inf") unchanged."""
    if isinstance(value, str):
        number = wire.bounded_number(value, NUMBER_LIMIT)
        if number is None:
            return value
        return int(number) if re.fullmatch(r"[+-]?\d+", value.strip()) else float(number)
    return value


def parse_environment(item: Mapping[str, Any]) -> ComputeEnvironment:
    """One environment object, string numbers coerced (operator-engine announces them from env vars)."""
    data = dict(item)
    for key in _NUMERIC_ENV_FIELDS:
        if key in data:
            data[key] = coerce_number(data[key])
    price = data.get("priceMin", 0)
    try:
        price_min = float(price if price not in (None, "") else 0)
    except (TypeError, ValueError):
        price_min = float("inf")  # unknown price: never mistaken for free
    return ComputeEnvironment(
        id=str(data.get("id", "")),
        price_min=price_min,
        consumer_address=str(data.get("consumerAddress") or ""),
        max_jobs=_int_or_none(data.get("maxJobs")),
        current_jobs=_int_or_none(data.get("currentJobs")),
        max_job_duration=_float_or_none(data.get("maxJobDuration")),
        fee_token=str(data.get("feeToken") or ""),  # priceMin is in this token; no per-resource fees
        resources=tuple(Resource(name, name, total=_float_or_none(data.get(key)))
                        for name, key in _ENV_RESOURCES if data.get(key) is not None),
        raw=data,
    )


def parse_environments(body: Any, chain_id: int | None, endpoint: str = "") -> tuple[ComputeEnvironment, ...]:
    """computeEnvironments answer: keyed by chain id (Provider v2.x) or a bare list (older)."""
    items: Any
    if isinstance(body, list):
        items = body
    elif isinstance(body, Mapping):
        if chain_id is not None and str(chain_id) in body:
            items = body[str(chain_id)]
        elif chain_id is None and len(body) == 1:
            items = next(iter(body.values()))
        elif chain_id is not None:
            items = []  # the provider serves other chains only
        else:
            raise ProviderError(
                f"environments are keyed by chain id {sorted(body)}; give a chain_id",
                status=200, endpoint=endpoint, body=body,
            )
    else:
        raise ProviderError(f"unexpected computeEnvironments answer: {body!r}"[:300], status=200, endpoint=endpoint, body=body)
    if not isinstance(items, list):
        raise ProviderError("computeEnvironments entry is not a list", status=200, endpoint=endpoint, body=body)
    return tuple(parse_environment(e) for e in items if isinstance(e, Mapping))


def order_item(data: Any) -> OrderItem:
    """One initializeCompute item (a Provider's or an Ocean Node's: the node's also names the order's
    consumer, its environment's `consumerAddress`); an empty OrderItem when it is not an object."""
    if not isinstance(data, Mapping):
        return OrderItem()
    fee = data.get("providerFee")
    return OrderItem(datatoken=str(data.get("datatoken") or ""),
                     valid_order=str(data["validOrder"]) if data.get("validOrder") else None,
                     provider_fee=fee if isinstance(fee, Mapping) and fee else None,
                     consumer_address=str(data.get("consumerAddress") or ""))


def parse_initialize(body: Any, n_datasets: int, endpoint: str = "") -> InitializeResult:
    """Read initializeCompute's answer; it must carry one item per dataset sent."""
    if not isinstance(body, Mapping) or not isinstance(body.get("datasets"), list):
        raise ProviderError("initializeCompute answer has no 'datasets' list", status=200, endpoint=endpoint, body=body)
    datasets = tuple(order_item(d) for d in body["datasets"])
    if len(datasets) != n_datasets:
        raise ProviderError(
            f"initializeCompute answered {len(datasets)} dataset items for {n_datasets} datasets",
            status=200, endpoint=endpoint, body=body,
        )
    algo = body.get("algorithm")
    return InitializeResult(datasets=datasets, algorithm=order_item(algo) if algo else None, raw=dict(body))


def initialize_body(
    datasets: Sequence[ComputeInput],
    algorithm: ComputeInput | None,
    algorithm_meta: AlgorithmMetadata | None,
    environment: str,
    valid_until: int,
    consumer_address: str,
) -> dict[str, Any]:
    """initializeCompute JSON body (unsigned)."""
    return {
        "datasets": [d.as_dictionary() for d in datasets],
        "algorithm": _algorithm_ref(algorithm, algorithm_meta, None),
        "compute": {"env": environment, "validUntil": int(valid_until)},
        "consumerAddress": consumer_address,
    }


def start_body(
    dataset: ComputeInput,
    environment: str,
    algorithm: ComputeInput | None,
    algorithm_meta: AlgorithmMetadata | None,
    algocustomdata: Mapping[str, Any] | None,
    additional_datasets: Sequence[ComputeInput],
    consumer_address: str,
    nonce: int,
    signature: str,
    output: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """POST compute JSON body; extra datasets go in `additionalDatasets`, the field the provider reads."""
    require_orders(dataset, additional_datasets, algorithm)
    body: dict[str, Any] = {
        "dataset": dataset.as_dictionary(),
        "algorithm": _algorithm_ref(algorithm, algorithm_meta, algocustomdata),
        "environment": environment,
        "consumerAddress": consumer_address,
        "nonce": nonce,
        "signature": signature,
    }
    if additional_datasets:
        body["additionalDatasets"] = [d.as_dictionary() for d in additional_datasets]
    if output:
        body["output"] = dict(output)
    return body


def require_orders(
    dataset: ComputeInput, additional_datasets: Sequence[ComputeInput], algorithm: ComputeInput | None
) -> None:
    """InvalidComputeRequest unless every input carries its order (transfer tx id)."""
    for item in [dataset, *additional_datasets] + ([algorithm] if algorithm else []):
        if not item.transfer_tx_id:
            raise InvalidComputeRequest(
                f"{item.did} (service {item.service_id}) has no transfer_tx_id (order id); "
                "use start(), or initialize() to get reusable orders"
            )


def _algorithm_ref(
    algorithm: ComputeInput | None, meta: AlgorithmMetadata | None, algocustomdata: Mapping[str, Any] | None
) -> dict[str, Any]:
    if algorithm is not None and meta is not None:
        raise InvalidComputeRequest("give either a published algorithm or algorithm_meta, not both")
    if algorithm is not None:
        ref = algorithm.as_dictionary()
    elif meta is not None:
        ref = {"meta": meta.as_dictionary()}
    else:
        raise InvalidComputeRequest("a compute job needs an algorithm (published, or algorithm_meta)")
    if algocustomdata is not None:
        if not isinstance(algocustomdata, Mapping):
            raise InvalidComputeRequest("algorithm_algocustomdata must be a dict")
        ref["algocustomdata"] = dict(algocustomdata)
    return ref


def job_list(body: Any, endpoint: str = "") -> list[dict[str, Any]]:
    """Job objects from a compute answer: a list (operator-service) or one object."""
    if isinstance(body, list):
        return [dict(j) for j in body if isinstance(j, Mapping)]
    if isinstance(body, Mapping):
        return [dict(body)] if "jobId" in body or "status" in body else []
    if body in ("", None):
        return []
    raise ProviderError(f"unexpected compute answer: {body!r}"[:300], status=200, endpoint=endpoint, body=body)


def first_job(body: Any, job_id: str | None, endpoint: str = "") -> dict[str, Any]:
    """The job object for `job_id` (or the first one) from a compute answer."""
    jobs = job_list(body, endpoint)
    if job_id:
        # Never report another job's status: take a job without a jobId field only as a last resort.
        jobs = [j for j in jobs if j.get("jobId") == job_id] or [j for j in jobs if "jobId" not in j]
    if not jobs:
        raise JobNotFound(f"no job {job_id or ''} in the provider's answer".replace("  ", " "),
                          status=200, endpoint=endpoint, body=body)
    return jobs[0]


def _status_code(value: Any) -> int | None:
    status = coerce_number(value)
    if isinstance(status, float) and status.is_integer():
        status = int(status)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def with_ok(job: dict[str, Any]) -> dict[str, Any]:
    """The job object with ocean.py's `ok` = status not in (31, 32, None); status coerced to int."""
    job["status"] = _status_code(job.get("status"))
    job["ok"] = job["status"] not in (*wire.STATUS_FAILED, None)
    return job


def parse_job_status(job: Mapping[str, Any]) -> JobStatus:
    """A Provider v2.x job object as a JobStatus: the end is decided on the numeric code only (31, 32,
    70), never on statusText or dateFinished; success is 70; this provider reports no exit code."""
    status = _status_code(job.get("status"))
    listing = job.get("results")
    items = [r for r in listing if isinstance(r, Mapping)] if isinstance(listing, list) else []  # "" until published
    return JobStatus(
        job_id=str(job.get("jobId") or ""),
        status=status,
        status_text=str(job.get("statusText") or ""),
        date_created=_float_or_none(job.get("dateCreated")),
        date_finished=_float_or_none(job.get("dateFinished")),
        results=tuple(JobResult(index, str(item.get("type") or "output"), str(item.get("filename") or ""),
                                _int_or_none(item.get("filesize")))
                      for index, item in enumerate(items)),
        terminal=status in wire.TERMINAL_STATUSES,
        succeeded=status == wire.STATUS_FINISHED,
        stop_requested=_int_or_none(job.get("stopreq")) or 0,
        agreement_id=str(job.get("agreementId") or ""),
    )


def clean_filename(name: str | None, fallback: str) -> str:
    """`name` reduced to a bare file name that is safe to create in a folder; `fallback` if nothing is left.

    Any path is dropped (both separators), and '.', '..', empty names and names with control
    characters are refused: a provider's file name must never place a file elsewhere.
    """
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", "..") or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return fallback
    return name


def safe_filename(content_disposition: str | None, fallback: str) -> str:
    """The file name a Content-Disposition header carries (RFC 6266: quoted, or filename*=UTF-8''...),
    made safe with clean_filename."""
    if not content_disposition:
        return fallback
    from email.message import Message

    from email.utils import collapse_rfc2231_value

    header = Message()
    header["Content-Disposition"] = content_disposition
    names = [value for key, value in header.get_params([], header="content-disposition") if key == "filename"]
    # RFC 6266: prefer filename* (parsed into a (charset, language, text) triple) over the plain one.
    encoded = [v for v in names if isinstance(v, tuple)]
    try:
        name = collapse_rfc2231_value(encoded[0]) if encoded else (names[0] if names else None)
    except (ValueError, LookupError):  # a malformed RFC 2231 value
        name = names[0] if names and not isinstance(names[0], tuple) else None
    return clean_filename(name, fallback)


def _int_or_none(value: Any) -> int | None:
    number = wire.bounded_number(value, NUMBER_LIMIT)
    return int(number) if number is not None else None


def _float_or_none(value: Any) -> float | None:
    number = wire.bounded_number(value, NUMBER_LIMIT)
    return float(number) if number is not None else None


def apply_orders(
    init: InitializeResult,
    dataset: ComputeInput,
    additional_datasets: Sequence[ComputeInput],
    algorithm: ComputeInput | None,
    environment: str,
) -> tuple[ComputeInput, tuple[ComputeInput, ...], ComputeInput | None]:
    """Attach initializeCompute's reusable orders to inputs lacking one; OrderRequired otherwise."""

    def attach(item: ComputeInput, order: OrderItem | None, what: str) -> ComputeInput:
        if item.transfer_tx_id:
            return item
        if order is None or not order.reusable:
            fee = (order.provider_fee if order else None) or {}
            amount = fee.get("providerFeeAmount")
            token = fee.get("providerFeeToken")
            reason = (
                f"the provider asks for a provider fee (providerFee amount {amount} in token {token})"
                if fee else "the provider returned no validOrder"
            )
            raise OrderRequired(
                f"{what} {item.did} (service {item.service_id}) needs an on-chain order in environment "
                f"{environment!r}: {reason}. On-chain ordering is not supported yet; use a free "
                "environment, or order elsewhere and pass the order's transfer_tx_id."
            )
        return item.with_transfer_tx_id(order.valid_order or "")

    dataset = attach(dataset, init.datasets[0], "dataset")
    extra = tuple(attach(d, init.datasets[i + 1], "additional dataset") for i, d in enumerate(additional_datasets))
    if algorithm is not None:
        algorithm = attach(algorithm, init.algorithm, "algorithm")
    return dataset, extra, algorithm
