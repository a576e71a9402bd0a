"""OceanCompute: ocean.py's compute API (start, status, result, compute_job_result_logs, stop,
get_c2d_environments, get_free_c2d_environment) plus initialize, start_job, wait, jobs, delete
and a streaming result download."""
from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import requests

from c2d_runner import wire
from c2d_runner.atomic import atomic_file
from c2d_runner.ocean.aquarius import Aquarius
from c2d_runner.ocean.config import ClientConfig
from c2d_runner.ocean.consumable import ConsumableCodes, consumable_code, fileinfo_ok
from c2d_runner.ocean.ddo import DDO, Service
from c2d_runner.ocean.errors import (
    AssetNotConsumable,
    ComputeTimeout,
    ConfigError,
    InvalidComputeRequest,
    JobNotFound,
    NoFreeEnvironment,
    ProviderError,
    WalletError,
)
from c2d_runner.ocean.http import HttpClient, RetryPolicy, base_url, is_loopback
from c2d_runner.ocean.inputs import AlgorithmMetadata, ComputeInput
from c2d_runner.ocean.listing import JobListing
from c2d_runner.ocean.messages import (
    apply_orders,
    first_job,
    initialize_body,
    job_list,
    parse_environment,
    parse_environments,
    parse_initialize,
    parse_job_status,
    require_orders,
    safe_filename,
    start_body,
    with_ok,
)
from c2d_runner.ocean.node import facade as node_facade
from c2d_runner.ocean.node.compute import job_status as node_job_status
from c2d_runner.ocean.node.status import judge
from c2d_runner.ocean.pacing import PollPolicy, RunTimes, next_delay
from c2d_runner.ocean.provider import ProviderClient
from c2d_runner.ocean.records import ComputeEnvironment, InitializeResult, JobStatus, OutputsArchive, ResultFile
from c2d_runner.ocean.wallet import NonceTracker
from c2d_runner.redaction import redacts_wallet_key

_CHUNK = 1 << 20


class OceanCompute:
    """Compute-to-Data against Ocean Providers; build it with an ocean.py-style config dict."""

    def __init__(
        self,
        config: ClientConfig | Mapping[str, Any] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = ClientConfig.from_mapping(config)
        cfg = self.config
        retry = RetryPolicy(cfg.retries, cfg.retry_backoff, cfg.retry_backoff_max, cfg.retry_after_max)
        self._http = HttpClient(timeout=cfg.timeout, retry=retry, sleep=sleep)
        self._provider = ProviderClient(self._http)
        self._nonces = NonceTracker()
        self._listings: dict[tuple[str, str], JobListing] = {}
        self._listings_lock = threading.Lock()
        self._paces: dict[str, RunTimes] = {}
        self._sleep = sleep
        self._clock = clock
        self._aquarius: Aquarius | None = None
        # Ocean Nodes among the service URLs (root read once each); Provider URLs map to None.
        self.nodes = node_facade.NodeTargets(self._http, self._provider.root, self._nonces,
                                             requests_per_minute=cfg.requests_per_minute, protocol=cfg.protocol,
                                             sleep=sleep, clock=clock)

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        """HTTP requests this instance has sent (Provider and Aquarius, retries included)."""
        return self._http.request_count

    @property
    def requests_by_endpoint(self) -> dict[str, int]:
        """Requests sent per "METHOD path" by this instance."""
        return self._http.requests_by_endpoint

    @property
    def aquarius(self) -> Aquarius:
        """The Aquarius at METADATA_CACHE_URI, sharing this instance's sessions and counter."""
        if self._aquarius is None:
            if not self.config.metadata_cache_uri:
                raise ConfigError("METADATA_CACHE_URI (the Aquarius URL) is not set in the config")
            self._aquarius = Aquarius(self.config.metadata_cache_uri, http=self._http,
                                      sleep=self._sleep, clock=self._clock)
        return self._aquarius

    def close(self) -> None:
        """Close the HTTP sessions."""
        self._http.close()

    def __enter__(self) -> "OceanCompute":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _nonce_floor(self, provider_url: str, wallet: Any, *, ask: bool = False) -> int:
        """What the next nonce must be above: the time in ms, or (`ask`, or CLOCK_NONCES off) the provider's.

        Both the Provider and Ocean Node accept any nonce above the one they stored, so a clock
        nonce (kept strictly increasing by the tracker) needs no round trip; only after a refusal
        is the provider asked.  Asked before taking the signing lock: its retries may sleep
        (Retry-After), and the lock serialises every signed call of this consumer.
        """
        if self.config.clock_nonces and not ask:
            return int(time.time() * 1000) - 1
        return self._provider.nonce(provider_url, _address(wallet))

    def _sign(self, provider_url: str, wallet: Any, message: str, floor: int) -> tuple[int, str]:
        """The next nonce (above `floor` and anything sent before) and its signature; call under the lock."""
        address = _address(wallet)
        nonce = self._nonces.next(base_url(provider_url), address, floor)
        try:
            signature = wire.sign_request(wallet, message, nonce)
        except Exception as exc:  # a foreign wallet object; the message must not echo key material
            raise WalletError(f"cannot sign with the consumer wallet ({type(exc).__name__})") from None
        return nonce, signature

    def _send_signed(self, provider_url: str, wallet: Any, message: str, send: Callable[[int, str], Any]) -> Any:
        """Sign `message` with a fresh nonce and `send(nonce, signature)` under the consumer's lock.

        A refusal of the nonce itself means the provider did nothing (another process signing with
        the same key got in between, or it stored a nonce above the clock): asked for its nonce,
        the call is signed again, once, above it.
        """
        for attempt in (1, 2):
            floor = self._nonce_floor(provider_url, wallet, ask=attempt == 2)
            with self._nonce_lock(provider_url, wallet):
                nonce, signature = self._sign(provider_url, wallet, message, floor)
                try:
                    return send(nonce, signature)
                except ProviderError as exc:
                    if attempt == 2 or not _stale_nonce(exc):
                        raise

    def _nonce_lock(self, provider_url: str, wallet: Any):
        return self._nonces.lock_for(base_url(provider_url), _address(wallet))

    # -- environments ----------------------------------------------------------------------
    def get_c2d_environments(self, service_endpoint: str, chain_id: int | None = None) -> list[ComputeEnvironment]:
        """The provider's compute environments for `chain_id` (keyed or legacy bare-list answer)."""
        node = self.nodes.for_url(_provider_url(service_endpoint))
        if node is not None:  # a node's free-only envs vanish when asked with chainId: never send it
            return [parse_environment(node_facade.environment_dict(env)) for env in node.environments()]
        chain = chain_id if chain_id is not None else self.config.chain_id
        body, endpoint = self._provider.environments(_provider_url(service_endpoint), chain)
        return list(parse_environments(body, chain, endpoint))

    def get_free_c2d_environment(self, service_endpoint: str, chain_id: int | None = None) -> ComputeEnvironment:
        """The first environment with priceMin 0; NoFreeEnvironment when there is none."""
        envs = self.get_c2d_environments(service_endpoint, chain_id)
        for env in envs:
            if env.is_free:
                return env
        ids = ", ".join(f"{e.id} (priceMin {e.price_min:g})" for e in envs) or "none"
        raise NoFreeEnvironment(
            f"provider {_provider_url(service_endpoint)} has no free compute environment "
            f"for chain {chain_id if chain_id is not None else self.config.chain_id}; environments: {ids}"
        )

    # -- consumability ---------------------------------------------------------------------
    def is_consumable(self, ddo: DDO, service: Service, address: str, with_connectivity_check: bool = True) -> ConsumableCodes:
        """ocean.py's check: 0 OK, 1 disabled, 2 connectivity (fileinfo), 3 not allowed, 4 denied."""
        if ddo.is_disabled:
            return ConsumableCodes.ASSET_DISABLED
        connectivity = None
        if with_connectivity_check:
            try:
                info = self._provider.fileinfo(service.service_endpoint, ddo.did, service.id)
                connectivity = fileinfo_ok(info)
            except ProviderError:
                connectivity = False
        return consumable_code(ddo, address, connectivity)

    # -- start -----------------------------------------------------------------------------
    @redacts_wallet_key
    def initialize(
        self,
        consumer_wallet: Any,
        dataset: ComputeInput,
        compute_environment: str,
        algorithm: ComputeInput | None = None,
        algorithm_meta: AlgorithmMetadata | None = None,
        additional_datasets: Sequence[ComputeInput] = (),
        valid_until: int | None = None,
        consumer_address: str | None = None,
    ) -> InitializeResult:
        """initializeCompute: which orders can be reused (validOrder) and which fees are due.

        Inputs that carry a transfer_tx_id are sent with it, so the provider can say the order is
        still valid.  Unsigned; never retried.  `consumer_address` defaults to the wallet's.
        """
        datasets = [dataset, *additional_datasets]
        until = valid_until if valid_until is not None else int(time.time()) + self.config.order_validity
        body = initialize_body(
            datasets, algorithm, algorithm_meta, compute_environment, until,
            consumer_address or _address(consumer_wallet),
        )
        answer, endpoint = self._provider.initialize_compute(dataset.service.service_endpoint, body)
        return parse_initialize(answer, len(datasets), endpoint)

    @redacts_wallet_key
    def start_job(
        self,
        consumer_wallet: Any,
        dataset: ComputeInput,
        compute_environment: str,
        algorithm: ComputeInput | None = None,
        algorithm_meta: AlgorithmMetadata | None = None,
        algorithm_algocustomdata: Mapping[str, Any] | None = None,
        additional_datasets: Sequence[ComputeInput] = (),
        output: Mapping[str, Any] | None = None,
    ) -> str:
        """POST compute with explicit orders (every input needs its transfer_tx_id); the job id.

        Never retried: if the answer is lost, ask `jobs()` whether the job exists before
        starting again (the orders may already be spent).
        """
        provider_url = dataset.service.service_endpoint
        address = _address(consumer_wallet)
        extra = list(additional_datasets)
        require_orders(dataset, extra, algorithm)  # before a nonce is spent on a hopeless request

        def send(nonce: int, signature: str):
            body = start_body(
                dataset, compute_environment, algorithm, algorithm_meta, algorithm_algocustomdata,
                extra, address, nonce, signature, output,
            )
            return self._provider.start(provider_url, body)

        answer, endpoint = self._send_signed(provider_url, consumer_wallet, address + dataset.did, send)
        job = first_job(answer, None, endpoint)
        job_id = job.get("jobId")
        if not job_id:
            raise ProviderError("start answer has no jobId", status=200, endpoint=endpoint, body=answer)
        return str(job_id)

    @redacts_wallet_key
    def start(
        self,
        consumer_wallet: Any,
        dataset: ComputeInput,
        compute_environment: str,
        algorithm: ComputeInput | None = None,
        algorithm_meta: AlgorithmMetadata | None = None,
        algorithm_algocustomdata: Mapping[str, Any] | None = None,
        additional_datasets: Sequence[ComputeInput] = (),
    ) -> str:
        """ocean.py's start: fresh DDO from Aquarius, compute-service and consumability checks,
        initializeCompute for inputs without orders, then the job; returns the job id.

        On an Ocean Node a free environment starts free compute; a paid one raises NeedsPayment
        and sends nothing (the runner pays on a target with a chain).
        """
        ddo = self.aquarius.resolve(dataset.did)
        service = ddo.get_service_by_id(dataset.service_id)
        if service is None:
            raise InvalidComputeRequest(f"{ddo.did} has no service with id {dataset.service_id!r}")
        if not service.is_compute:
            raise InvalidComputeRequest(
                f"service {service.id!r} of {ddo.did} is of type {service.type!r}; a job's first dataset "
                "must use a compute service"
            )
        code = self.is_consumable(ddo, service, _address(consumer_wallet), self.config.connectivity_check)
        if code != ConsumableCodes.OK:
            raise AssetNotConsumable(int(code), ddo.did)
        dataset = replace(dataset, ddo=ddo, service=service)
        node = self.nodes.for_url(service.service_endpoint)
        if node is not None:
            return self.start_free(node.url, consumer_wallet, compute_environment, [dataset, *additional_datasets],
                                   algorithm_meta=algorithm_meta, algorithm=algorithm,
                                   algocustomdata=algorithm_algocustomdata)
        dataset, extra, algorithm = self.order_inputs(consumer_wallet, dataset, compute_environment, algorithm,
                                                      algorithm_meta, additional_datasets)
        return self.start_job(
            consumer_wallet, dataset, compute_environment, algorithm, algorithm_meta,
            algorithm_algocustomdata, extra,
        )

    @redacts_wallet_key
    def order_inputs(
        self,
        consumer_wallet: Any,
        dataset: ComputeInput,
        compute_environment: str,
        algorithm: ComputeInput | None = None,
        algorithm_meta: AlgorithmMetadata | None = None,
        additional_datasets: Sequence[ComputeInput] = (),
    ) -> tuple[ComputeInput, tuple[ComputeInput, ...], ComputeInput | None]:
        """The inputs, each carrying an order (transfer_tx_id): their own, or a reusable one from
        initializeCompute; OrderRequired when the provider wants an on-chain order."""
        extra = tuple(additional_datasets)
        inputs = [dataset, *extra] + ([algorithm] if algorithm is not None else [])
        if all(item.transfer_tx_id for item in inputs):
            return dataset, extra, algorithm
        init = self.initialize(consumer_wallet, dataset, compute_environment, algorithm, algorithm_meta, extra)
        return apply_orders(init, dataset, extra, algorithm, compute_environment)

    @redacts_wallet_key
    def start_free(self, node_url: str, consumer_wallet: Any, environment: str, datasets: Sequence[Any] = (),
                   algorithm_meta: AlgorithmMetadata | None = None, algorithm: ComputeInput | None = None,
                   algocustomdata: Mapping[str, Any] | None = None, envs: Mapping[str, str] | None = None,
                   resources: Mapping[str, float] | None = None, max_job_duration: float | None = None) -> str:
        """Free compute on an Ocean Node: the prefixed job id.

        `environment` is an id, "free" or "cheapest"; `datasets` are ComputeInputs (DDO services)
        or node.compute.UrlDataset files; resources are in the node's units (cpu cores, ram and disk
        GB). The node's resource and duration limits are checked before anything is sent.
        """
        from c2d_runner.ocean.node.compute import NeedsPayment, algorithm_entry, dataset_entry
        from c2d_runner.ocean.node.environments import EnvironmentChoiceError, choose_environment

        node = self.nodes.for_url(node_url)
        if node is None:
            raise InvalidComputeRequest(f"{node_url} is not an Ocean Node")
        try:
            choice = choose_environment(node.environments(), environment, resources, max_job_duration, node.url)
        except EnvironmentChoiceError as exc:
            raise InvalidComputeRequest(str(exc)) from None
        if not choice.free:
            raise NeedsPayment(f"environment {choice.env.id} of {node.url} is paid: start_free does not pay for "
                               "orders and the Escrow (`c2d run` does, on a target with a chain); nothing was sent")
        body_algorithm = algorithm_entry(algorithm_meta, algorithm, algocustomdata, envs)
        return node.start(consumer_wallet, choice, body_algorithm, [dataset_entry(d) for d in datasets])

    # -- status ----------------------------------------------------------------------------
    def _job_object(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> dict[str, Any]:
        """The provider's object for one job (GET compute, signed when the config says so)."""
        provider_url = _provider_url(service)
        did = _did(ddo)
        address = _address(wallet)
        params: dict[str, Any] = {"consumerAddress": address, "documentId": did, "jobId": job_id}
        if self.config.sign_status:
            answer, endpoint = self._send_signed(
                provider_url, wallet, address + job_id + did,
                lambda nonce, signature: self._provider.status(provider_url, {**params, "nonce": nonce,
                                                                              "signature": signature}))
        else:
            # The provider ignores status signatures; skipping them saves a nonce round trip.
            answer, endpoint = self._provider.status(provider_url, params)
        return first_job(answer, job_id, endpoint)

    @redacts_wallet_key
    def status(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> dict[str, Any]:
        """The job object with `ok` = status not in (31, 32, None) (ocean.py's answer; on a node: not
        failed by its rules, with its verdict: succeeded, exitCode, reason)."""
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:
            return node_facade.job_dict(*node.status(wallet, job_id))
        return with_ok(self._job_object(ddo, service, job_id, wallet))

    @redacts_wallet_key
    def job_status(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> JobStatus:
        """The job's status as a JobStatus record."""
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:
            return node_job_status(job_id, *node.status(wallet, job_id))
        return parse_job_status(self._job_object(ddo, service, job_id, wallet))

    @redacts_wallet_key
    def jobs(self, service_endpoint: Service | str, wallet: Any) -> tuple[JobStatus, ...]:
        """All of the consumer's jobs at this provider (GET compute without jobId)."""
        provider_url = _provider_url(service_endpoint)
        node = self.nodes.for_url(provider_url)
        if node is not None:
            return tuple(node_job_status(str(job.get("jobId") or ""), job, judge(job))
                         for job in node.client.jobs(_address(wallet)))
        answer, endpoint = self._provider.status(provider_url, {"consumerAddress": _address(wallet)})
        return tuple(parse_job_status(job) for job in job_list(answer, endpoint))

    @redacts_wallet_key
    def wait(
        self,
        ddo: DDO | str,
        service: Service | str,
        job_id: str,
        wallet: Any,
        timeout: float = 3600.0,
        on_status: Callable[[JobStatus], None] | None = None,
        poll_interval_min: float | None = None,
        poll_interval_max: float | None = None,
    ) -> JobStatus:
        """Poll the status until the job is over (31, 32 or 70: the numeric code only); ComputeTimeout
        after `timeout` s.

        Paced by the provider's run times of the jobs waited on so far (ocean/pacing.py): the first
        look when jobs like it ended, then a quarter of the job's age later, within bounds tuned to
        the provider: on loopback 20 ms to 0.5 s, elsewhere 0.5 s to 5 s (POLL_INTERVAL_MIN/MAX
        override them); `on_status` is called with each new status (code change).
        """
        provider_url = _provider_url(service)
        node = self.nodes.for_url(provider_url)
        if node is not None:  # over when dateFinished is set; polls share the node's request budget
            job, verdict = node.wait(
                wallet, job_id, timeout,
                on_status=(lambda j, v: on_status(node_job_status(job_id, j, v))) if on_status else None,
                interval_min=poll_interval_min or self.config.poll_interval_min or 1.0,
                interval_max=max(poll_interval_max or self.config.poll_interval_max or 5.0, 1.0))
            return replace(node_job_status(job_id, job, verdict),
                           reason=node_facade.failure_detail(node, wallet, job_id, job, verdict))
        local = is_loopback(provider_url)
        low = poll_interval_min or self.config.poll_interval_min or (0.02 if local else 0.5)
        policy = PollPolicy(low, max(poll_interval_max or self.config.poll_interval_max or (0.5 if local else 5.0), low))
        times = self._run_times(provider_url)
        began = self._clock()
        deadline = began + timeout
        last: JobStatus | None = None
        listing = None if self.config.sign_status else self._listing(provider_url, wallet)
        seen = 0
        if listing is not None:
            seen = listing.mark()
            # The start answer has just said where the job is: looking later lets jobs started
            # together share that look, instead of one listing each right after their start.
            self._sleep(min(next_delay(0.0, times.expected(), policy), timeout))
        while True:
            current = None
            if listing is not None:
                current, seen = listing.status(job_id, seen)
            if current is None:  # status signed on request, or a job the listing does not show
                current = self.job_status(ddo, service, job_id, wallet)
            if (last is None or current.status != last.status) and on_status is not None:
                on_status(current)
            last = current
            if current.terminal:
                times.learn(current)
                return current
            now = self._clock()
            if now >= deadline:
                raise ComputeTimeout(job_id, timeout, last)
            self._sleep(min(next_delay(now - began, times.expected(), policy), deadline - now))

    def _run_times(self, provider_url: str) -> RunTimes:
        """What the jobs waited on at this provider took (shared by every wait on it)."""
        with self._listings_lock:
            return self._paces.setdefault(base_url(provider_url), RunTimes())

    def _listing(self, provider_url: str, wallet: Any) -> JobListing:
        """The shared listing of the wallet's jobs at this provider (one request per poll round)."""
        key = (base_url(provider_url), _address(wallet).lower())
        with self._listings_lock:
            listing = self._listings.get(key)
            if listing is None:
                listing = self._listings[key] = JobListing(lambda: self.jobs(provider_url, wallet))
            return listing

    # -- results ---------------------------------------------------------------------------
    def _open_result(self, service: Service | str, job_id: str, index: int, wallet: Any) -> "requests.Response":
        provider_url = _provider_url(service)
        address = _address(wallet)
        index = int(index)
        floor: dict[str, int] = {}

        def signed_params() -> dict[str, Any]:
            # Signed afresh on every attempt: a provider may have stored the previous nonce.
            nonce, signature = self._sign(provider_url, wallet, address + job_id + str(index), floor["nonce"])
            # index goes in the query string: a JSON 0 would be read as "" by the provider.
            return {"signature": signature, "nonce": nonce, "jobId": job_id, "index": index,
                    "consumerAddress": address}

        for ask in (False, True):
            def fetch_nonce(ask: bool = ask) -> None:
                floor["nonce"] = self._nonce_floor(provider_url, wallet, ask=ask)

            try:
                # The lock covers signing and sending each attempt, never the sleeps between attempts.
                return self._provider.result(provider_url, signed_params, stream=True, before_attempt=fetch_nonce,
                                             attempt_lock=self._nonce_lock(provider_url, wallet))
            except ProviderError as exc:
                # A clock nonce refused: sign once more above the provider's own.
                if ask or not self.config.clock_nonces or not _stale_nonce(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @redacts_wallet_key
    def result(self, ddo: DDO | str, service: Service | str, job_id: str, index: int, wallet: Any) -> bytes:
        """The bytes of result `index` of the job (ocean.py's meaning; see download_result for big files).

        A node numbers results over the files that exist: pick the index by `type` from the job's results.
        """
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:
            return node.fetch(wallet, job_id, index)
        response = self._open_result(service, job_id, index, wallet)
        try:
            return response.content
        except requests.RequestException as exc:
            raise ProviderError(f"result download interrupted: {type(exc).__name__}",
                                status=response.status_code, endpoint=f"GET {response.url}") from None
        finally:
            response.close()

    @redacts_wallet_key
    def download_result(
        self,
        ddo: DDO | str,
        service: Service | str,
        job_id: str,
        index: int,
        wallet: Any,
        dest_path: str | os.PathLike[str],
    ) -> ResultFile:
        """Stream result `index` to `dest_path` (a file, or a folder - existing or ending in "/").

        Written to a temporary file next to the target and renamed at the end, so an interrupted
        download never leaves a half-written result behind.
        """
        as_folder = str(dest_path).endswith(("/", os.sep))
        dest = Path(dest_path)
        if as_folder:
            dest.mkdir(parents=True, exist_ok=True)
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:  # results chosen by index as listed; algorithm.log arrives as plain text
            entry = node.result_entry(wallet, job_id, int(index))
            if entry is None:
                raise JobNotFound(f"job {job_id} lists no result {index}")
            target = dest / (Path(entry.filename).name or f"result-{index}") if dest.is_dir() else dest
            size, sha = node.save(wallet, job_id, entry, target)
            return (OutputsArchive if entry.type == "output" else ResultFile)(target.name, size, sha)
        response = self._open_result(service, job_id, index, wallet)
        endpoint = f"GET {response.url.split('?')[0]}"
        try:
            filename = safe_filename(response.headers.get("Content-Disposition"), f"result-{int(index)}")
            target = dest / filename if dest.is_dir() else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            size = 0
            try:
                with atomic_file(target) as out:
                    for chunk in response.iter_content(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    expected = response.headers.get("Content-Length")
                    encoded = response.headers.get("Content-Encoding")
                    # A 19-digit bound before int(): a hostile header must not cost a huge conversion.
                    if expected and not encoded and expected.isdigit() and (len(expected) > 19 or int(expected) != size):
                        raise ProviderError(f"result truncated: {size} of {expected[:20]} bytes",
                                            status=response.status_code, endpoint=endpoint)
            except requests.RequestException as exc:
                raise ProviderError(f"result download interrupted after {size} bytes: {type(exc).__name__}",
                                    status=response.status_code, endpoint=endpoint) from None
        finally:
            response.close()
        return ResultFile(filename, size, digest.hexdigest())

    @redacts_wallet_key
    def compute_job_result_logs(
        self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any, log_type: str = "output"
    ) -> list[bytes]:
        """Bytes of every result whose type is `log_type` ("output", "algorithmLog", ...), in order.

        One status call, then only the matching indexes are downloaded (ocean.py downloads all).
        A node's algorithmLog comes as plain text (its Docker framing removed).
        """
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:
            return node_facade.result_logs(node, wallet, job_id, log_type)
        job = self.job_status(ddo, service, job_id, wallet)
        return [self.result(ddo, service, job_id, item.index, wallet) for item in job.results if item.type == log_type]

    # -- stop / delete ---------------------------------------------------------------------
    @redacts_wallet_key
    def stop(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> dict[str, Any]:
        """Ask the provider to stop the job; the job object with `ok` (never retried)."""
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:
            job = node.stop(wallet, job_id)
            return node_facade.job_dict(job) if job else {"jobId": job_id, "ok": True}
        job = self._stop(ddo, service, job_id, wallet)
        return with_ok(job) if job is not None else {"jobId": job_id, "ok": True}

    @redacts_wallet_key
    def stop_job(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> JobStatus:
        """Ask the provider to stop the job; its status as the answer gives it (never retried)."""
        node = self.nodes.for_url(_provider_url(service))
        if node is not None:
            job = node.stop(wallet, job_id)
            return node_job_status(job_id, job, judge(job)) if job else JobStatus(job_id, None)
        job = self._stop(ddo, service, job_id, wallet)
        return parse_job_status(job) if job is not None else JobStatus(job_id, None)

    def _stop(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> dict[str, Any] | None:
        answer, endpoint = self._signed_job_call("stop", ddo, service, job_id, wallet)
        try:
            return first_job(answer, job_id, endpoint)
        except JobNotFound:
            return None  # the stop was accepted (2xx) but the answer names no job

    @redacts_wallet_key
    def delete(self, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any) -> dict[str, Any]:
        """Ask the provider to delete the job (operator-service answers ""); {"jobId", "ok"}."""
        answer, _ = self._signed_job_call("delete", ddo, service, job_id, wallet)
        return {"jobId": job_id, "ok": True, "response": answer}

    def _signed_job_call(self, action: str, ddo: DDO | str, service: Service | str, job_id: str, wallet: Any):
        provider_url = _provider_url(service)
        did = _did(ddo)
        address = _address(wallet)
        call = self._provider.stop if action == "stop" else self._provider.delete

        def send(nonce: int, signature: str):
            return call(provider_url, {"consumerAddress": address, "documentId": did, "jobId": job_id,
                                       "nonce": nonce, "signature": signature})

        return self._send_signed(provider_url, wallet, address + job_id + did, send)


def _stale_nonce(exc: ProviderError) -> bool:
    """The provider refused the nonce as not above its stored one (Provider 400, Ocean Node 401)."""
    text = f"{exc.detail} {exc.body}".lower()
    return exc.status in (400, 401) and ("expected nonce" in text or "not a valid nonce" in text)


def _address(wallet: Any) -> str:
    address = getattr(wallet, "address", None)
    if not isinstance(address, str) or not address.startswith("0x"):
        raise WalletError("consumer_wallet must be an eth-account LocalAccount (with .address and sign_message)")
    return address


def _did(ddo: DDO | str | Mapping[str, Any]) -> str:
    if isinstance(ddo, DDO):
        return ddo.did
    if isinstance(ddo, str):
        return ddo
    if isinstance(ddo, Mapping) and isinstance(ddo.get("id"), str):
        return ddo["id"]
    raise InvalidComputeRequest(f"expected a DDO or a DID, got {type(ddo).__name__}")


def _provider_url(service: Service | str) -> str:
    url = service.service_endpoint if isinstance(service, Service) else service
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidComputeRequest(f"expected a Service or a provider URL, got {url!r}")
    return url.rstrip("/")
