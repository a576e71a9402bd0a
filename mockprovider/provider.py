"""Provider routes (responses layer): read request data, apply the Provider's rules, answer.

Handlers take (state, request data) and return a Reply / FileReply or raise a MockError; they
never touch the socket.  Wire facts follow reference/ocean-provider-api.md.
"""
from __future__ import annotations

import json
import mimetypes
import secrets
import time
import uuid
from decimal import Decimal
from typing import Any, Mapping

from c2d_runner import wire
from mockprovider import endpoints, trust
from mockprovider.errors import ResourceError, RouteError, ValidationError, not_a_number, not_an_integer
from mockprovider.http import FileReply, Reply, open_regular_file, parse_json
from mockprovider.state import MockState
from mockprovider.store import (AgreementInUse, EnvironmentFull, Job, NonceRejected, OrderInvalid, OrderUse, epoch_text,
                               parse_nonce)
from mockprovider.world import WorldAsset, algorithm_checksums

PROVIDER_VERSION = "2.1.5"
MISSING_SIGNATURE = "Invalid signature provided. Please check the nonce or documentId."
# Bounds on numbers clients send, checked before any arithmetic (wire.bounded_int).
VALID_UNTIL_LIMIT = 2**63       # epoch seconds; a float() of anything larger overflows
INDEX_LIMIT = 2**31


# --- request checks (pure) ------------------------------------------------------------------------

def _get(data: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = data
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def require(data: Mapping[str, Any], *fields: str) -> None:
    """flask-sieve `required` on dotted fields; every missing field is reported at once."""
    missing = {f: [f"The {f} field is required."] for f in fields if _get(data, f) in (None, "")}
    if missing:
        raise ValidationError(missing)


def checked_signer(state: MockState, data: Mapping[str, Any], message: str) -> str:
    """Verify consumerAddress / nonce / signature the Provider way and store the nonce.

    Returns the consumer address as sent.  Nothing is stored unless the signature recovers to
    the consumer and the nonce is above the stored one.
    """
    require(data, "consumerAddress")
    consumer = str(data["consumerAddress"])
    raw_nonce = data.get("nonce")
    if raw_nonce in (None, ""):
        raise ValidationError({"nonce": ["The nonce field is required."]})
    nonce = parse_nonce(raw_nonce)
    if nonce is None:
        raise not_a_number("nonce")  # also for numbers past store.NONCE_LIMIT
    signature = data.get("signature")
    if not signature or not isinstance(signature, str):
        raise ValidationError({"signature": [MISSING_SIGNATURE]})
    # The nonce is appended exactly as sent (a JSON int 7 and a string "7" both give "7").
    nonce_text = str(raw_nonce)
    try:
        recovered = wire.recover_signer(message, nonce_text, signature)
    except ValueError:
        recovered = None
    if recovered is None or recovered.lower() != consumer.lower():
        raise ValidationError({"signature": (
            f"Invalid signature {signature} for ethereum address {consumer}, message {message} "
            f"and nonce {nonce_text}. Got {recovered}")})
    try:
        state.store.use_nonce(consumer, nonce)
    except NonceRejected as exc:
        raise ValidationError({"signature": str(exc)}) from None
    return consumer


def job_status(job: Job) -> dict[str, Any]:
    """operator-service's job object (reference §7)."""
    return {
        "agreementId": job.agreement_id,
        "jobId": job.job_id,
        "owner": job.owner,
        "status": job.status,
        "statusText": wire.status_text(job.status),
        "dateCreated": job.date_created,
        "dateFinished": job.date_finished,
        "results": "" if job.results is None else [
            {"filename": r["filename"], "filesize": r["filesize"], "type": r["type"]} for r in job.results],
        "stopreq": job.stopreq,
        "removed": job.removed,
        "algoDID": job.algo_did,
        "inputDID": list(job.input_dids),
    }


def owned_job(state: MockState, job_id: Any, consumer: str) -> Job:
    """The job, if it belongs to `consumer`; 404 like operator-service otherwise."""
    job = state.store.job(str(job_id)) if job_id else None
    if job is None:
        raise RouteError(f"No job {job_id} found", 404)
    if job.owner.lower() != consumer.lower():
        raise RouteError(f"Owner {consumer} mismatch for job {job.job_id}", 404)
    return job


# --- root, nonce, environments --------------------------------------------------------------------

def root(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET /: software, version, providerAddresses, chainIds, serviceEndpoints."""
    return Reply({
        "software": "Provider",
        "version": PROVIDER_VERSION,
        "providerAddresses": {str(state.world.chain_id): state.world.provider_address},
        "chainIds": [state.world.chain_id],
        "serviceEndpoints": endpoints.service_endpoints(endpoints.PROVIDER),
    })


def nonce(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET nonce?userAddress: the stored nonce as a string (1 stored for a new address)."""
    require(data, "userAddress")
    return Reply({"nonce": state.store.nonce(str(data["userAddress"]))})


def compute_environments(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET computeEnvironments: {chainId: [env, ...]}; ?chainId is ignored as by Provider v2.x."""
    return Reply({str(state.world.chain_id): state.environments()})


# --- asset / algorithm resolution -----------------------------------------------------------------

def _dataset(state: MockState, item: Any, resource: str, index: int, consumer: str | None,
             check_credentials: bool) -> tuple[WorldAsset, dict]:
    """Resolve and check one input dataset; returns (asset, DDO service dict)."""
    if not isinstance(item, Mapping):
        raise ResourceError(resource, "missing")
    for key in ("documentId", "serviceId"):
        if not item.get(key):
            raise ResourceError(f"{resource}.{key}", "missing")
    asset = state.world.by_did(str(item["documentId"]))
    if asset is None or asset.kind != "dataset":
        raise ResourceError(resource, "did_not_found")
    ddo = state.ddos[asset.did]
    service = next((s for s in ddo["services"] if s["id"] == str(item["serviceId"])), None)
    if service is None:
        raise ResourceError(f"{resource}.serviceId", "not_found")
    if service["type"] not in ("access", "compute"):
        raise ResourceError(resource, "service_not_access_compute")
    if index == 0 and service["type"] != "compute":
        raise ResourceError(resource, "main_service_compute")
    error = trust.consumable_error(ddo, consumer if check_credentials else None)
    if error and (check_credentials or not error.startswith("Error: Access")):
        raise RouteError(error)
    return asset, service


def _algorithm(state: MockState, algo: Any, *, at_start: bool) -> tuple[trust.AlgorithmFacts, dict]:
    """Check the algorithm item; returns trust facts and what the job record keeps of it."""
    if not isinstance(algo, Mapping) or not (algo.get("documentId") or algo.get("meta")):
        raise ResourceError("algorithm", "missing_meta_documentId")
    if algo.get("documentId"):
        asset = state.world.by_did(str(algo["documentId"]))
        if asset is None:
            raise ResourceError("algorithm", "did_not_found" if not at_start else "file_unavailable")
        if asset.kind != "algorithm":
            if at_start:
                raise ResourceError("algorithm", "not_algo")
            raise RouteError("DID is not a valid algorithm")
        if not algo.get("serviceId"):
            raise ResourceError("algorithm.serviceId", "missing")
        if asset.service(str(algo["serviceId"])) is None:
            raise ResourceError("algorithm.serviceId", "not_found")
        if at_start and not algo.get("transferTxId"):
            raise ResourceError("algorithm.transferTxId", "missing")
        error = trust.consumable_error(state.ddos[asset.did], None)
        if error:
            raise RouteError(error)
        files_sum, container_sum = algorithm_checksums(asset)
        facts = trust.AlgorithmFacts(asset.did, asset.owner, asset.nft_address, files_sum, container_sum)
        return facts, {"did": asset.did, "service_id": str(algo["serviceId"])}
    meta = algo["meta"]
    if not isinstance(meta, Mapping):
        raise ResourceError("algorithm", "missing_meta_documentId")
    if not any(meta.get(k) for k in ("rawcode", "url", "remote")):
        raise ResourceError("algorithm", "meta_oneof_url_rawcode_remote")
    container = meta.get("container")
    if not isinstance(container, Mapping) or not all(container.get(k) for k in ("entrypoint", "image", "checksum")):
        raise ResourceError("algorithm.container", "missing_entrypoint_image_checksum")
    if not str(container["checksum"]).startswith("sha256:"):
        raise ResourceError("algorithm.container", "checksum_prefix")
    if not meta.get("rawcode"):
        # No network: a raw algorithm must come inline; a URL cannot be fetched by the mock.
        raise ResourceError("algorithm", "file_unavailable")
    rawcode = str(meta["rawcode"])
    facts = trust.AlgorithmFacts(
        None, None, None, wire.files_checksum([rawcode.encode("utf-8")]),
        wire.container_section_checksum(str(container["entrypoint"]), str(container["checksum"])))
    kept = {"rawcode": rawcode, "container": {k: str(container.get(k, "")) for k in ("entrypoint", "image", "tag", "checksum")}}
    return facts, kept


def _trust(state: MockState, service: dict, facts: trust.AlgorithmFacts, resource: str) -> None:
    code = trust.algorithm_error(state.world.trust_policy, service, facts)
    if code:
        raise ResourceError(resource, code)


# --- initializeCompute ----------------------------------------------------------------------------

def initialize_compute(state: MockState, data: Mapping[str, Any]) -> Reply:
    """POST initializeCompute: validate, then issue (or reuse) orders; providerFee only for require_fee envs."""
    datasets = data.get("datasets")
    require(data, "datasets", "compute.env", "compute.validUntil", "consumerAddress")
    if not isinstance(datasets, list):
        raise ValidationError({"datasets": ["The datasets must be an array."]})
    if not datasets:
        raise ValidationError({"datasets": ["The datasets field is required."]})
    raw_valid_until = _get(data, "compute.validUntil")
    valid_until = None if isinstance(raw_valid_until, float) else wire.bounded_int(raw_valid_until, VALID_UNTIL_LIMIT)
    if valid_until is None:
        raise not_an_integer("compute.validUntil")
    now = time.time()
    if valid_until <= now:
        raise RouteError("The validUntil value is not correct.")
    env = state.world.environment(str(_get(data, "compute.env")))
    if env is None:
        raise RouteError("Compute environment does not exist")
    consumer = str(data["consumerAddress"])
    env_addresses = {e.consumerAddress.lower() for e in state.world.environments}
    # ocean.py sends the environment's consumerAddress here, not the user's: credentials are then
    # judged at start, against the consumer who signs.
    check_credentials = consumer.lower() not in env_addresses
    facts, kept_algo = _algorithm(state, data.get("algorithm"), at_start=False)
    items = []
    for i, item in enumerate(datasets):
        asset, service = _dataset(state, item, f"datasets[{i}]", i, consumer, check_credentials)
        _trust(state, service, facts, f"datasets[{i}]")
        items.append((asset, service))
    priced = [(a.did, s["id"], s["datatokenAddress"], int(s.get("timeout") or 0), _sent_order(datasets[i]))
              for i, (a, s) in enumerate(items)]
    if kept_algo.get("did"):
        algo_asset = state.world.by_did(kept_algo["did"])
        algo_service = algo_asset.service(kept_algo["service_id"])
        priced.append((algo_asset.did, algo_service.id, algo_service.datatoken, algo_service.timeout,
                       _sent_order(data.get("algorithm"))))
    answers = []
    for n, (did, service_id, datatoken, timeout, sent) in enumerate(priced):
        # An order lives until validUntil, or the service's timeout when that comes first (0 = none).
        expires = min(float(valid_until), now + timeout) if timeout > 0 else float(valid_until)
        if state.chain is not None:  # orders are on chain: reuse the client's when it still pays for this
            facts = _chain_order(state, sent, did, service_id, env.id, consumer, allow_expired_fee=True) if sent else None
            answer: dict[str, Any] = {"datatoken": datatoken, **({"validOrder": sent} if facts else {})}
            if not facts or facts.fee_expired:  # no order, or its fee ran out: reuseOrder with this one
                answer["providerFee"] = provider_fee(state, env, datatoken, service_id, valid_until, now, n == 0)
            answers.append(answer)
        elif env.require_fee:
            answers.append({"datatoken": datatoken,
                            "providerFee": provider_fee(state, env, datatoken, service_id, valid_until, now, n == 0)})
        else:
            order = state.store.reuse_or_issue_order(
                sent, "0x" + secrets.token_hex(32), consumer, did, service_id, env.id, expires, now)
            answers.append({"datatoken": datatoken, "validOrder": order})
    body: dict[str, Any] = {"datasets": answers[:len(items)]}
    if kept_algo.get("did"):
        body["algorithm"] = answers[len(items)]
    return Reply(body)


def _sent_order(item: Any) -> str | None:
    """The transferTxId a client sent to ask whether its order is still valid."""
    order = item.get("transferTxId") if isinstance(item, Mapping) else None
    return str(order) if order else None


def _chain_order(state: MockState, tx_id: str, did: str, service_id: str, env_id: str, sender: str,
                 allow_expired_fee: bool = False) -> Any:
    """The facts of a valid on-chain order of (did, service) for `env_id` by `sender`, else None."""
    from mockprovider.payment import OrderRefused, verify_order_tx

    asset = state.world.by_did(did)
    index = next(i for i, s in enumerate(asset.services) if s.id == service_id)
    service = asset.services[index]
    try:
        return verify_order_tx(state.chain, tx_id, nft=asset.nft_address, datatoken=service.datatoken,
                               service_id=service_id, service_index=index, service_timeout=service.timeout,
                               environment=env_id, sender=sender, provider_address=state.world.provider_address,
                               allow_expired_fee=allow_expired_fee)
    except OrderRefused:
        return None


def _check_chain_orders(state: MockState, uses: list[OrderUse], env_id: str, consumer: str) -> None:
    """At start on a chain: each order must pay on chain (else order_invalid); it is then recorded, so
    the store's rules (its first user's, one running job per agreementId) apply to it as to the
    mock's own orders."""
    for use in uses:
        facts = _chain_order(state, use.order_id, use.did, use.service_id, env_id, consumer)
        if facts is None:
            raise ResourceError("order", "order_invalid")
        state.store.record_order(use.order_id, facts.consumer, use.did, use.service_id, env_id,
                                 float(facts.ordered_at), float(facts.fee_valid_until or 2**62))


def provider_fee(state: MockState, env, datatoken: str, service_id: str, valid_until: int, now: float,
                 charged: bool) -> dict[str, Any]:
    """A providerFee signed with TEST_PROVIDER_KEY (reference §4): for `require_fee` environments and on a chain."""
    from mockprovider.payment import sign_provider_fee

    seconds = int(max(0, valid_until - now)) % 86400  # timedelta.seconds wraps after a day, as the Provider's
    zero = env.feeToken == "0x0000000000000000000000000000000000000000"
    amount = 0 if (zero or not charged) else int(Decimal(seconds) * Decimal(str(env.priceMin)) / 60 * 10**18)
    return sign_provider_fee(env.id, datatoken, service_id, state.world.provider_address, env.feeToken, amount,
                             valid_until, now, wire.TEST_PROVIDER_KEY)


# --- compute start / status / stop / delete -------------------------------------------------------

def compute_start(state: MockState, data: Mapping[str, Any]) -> Reply:
    """POST compute: check signature, inputs, trust and orders; create the job (status 1); run it."""
    require(data, "dataset.documentId", "dataset.serviceId", "dataset.transferTxId", "consumerAddress")
    dataset = data["dataset"]
    consumer = checked_signer(state, data, f"{data['consumerAddress']}{dataset['documentId']}")
    facts, kept_algo = _algorithm(state, data.get("algorithm"), at_start=True)
    env_id = data.get("environment")
    if not env_id:
        raise ValidationError({"environment": ["The environment field is required."]})
    env = state.world.environment(str(env_id))
    if env is None:
        raise RouteError("Compute environment does not exist")
    main_asset, main_service = _dataset(state, dataset, "dataset", 0, consumer, True)
    _trust(state, main_service, facts, "dataset")
    inputs = [(main_asset, main_service, dataset)]
    extra = data.get("additionalDatasets") or []
    if not isinstance(extra, list):
        raise ResourceError("additional_input", "invalid")
    for item in extra:
        if isinstance(item, Mapping) and not item.get("transferTxId"):
            raise ResourceError("additional_input.transferTxId", "missing")
        asset, service = _dataset(state, item, "additional_input", 1, consumer, True)
        _trust(state, service, facts, "additional_input")
        inputs.append((asset, service, item))
    uses = [OrderUse(str(item["transferTxId"]), asset.did, service["id"]) for asset, service, item in inputs]
    algo = data.get("algorithm")
    if kept_algo.get("did"):
        uses.append(OrderUse(str(algo["transferTxId"]), kept_algo["did"], kept_algo["service_id"]))
    if state.chain is not None:
        _check_chain_orders(state, uses, env.id, consumer)
    now = time.time()
    job = Job(
        job_id=uuid.uuid4().hex, ordinal=0, owner=consumer, agreement_id=str(dataset["transferTxId"]),
        environment=env.id, status=1, stopreq=0, removed=0, date_created=epoch_text(now), date_finished=None,
        algo_did=kept_algo.get("did") or "raw", input_dids=tuple(a.did for a, _, _ in inputs), results=None,
        request={
            "inputs": [{"did": a.did, "service_id": s["id"]} for a, s, _ in inputs],
            "algorithm": kept_algo,
            "algocustomdata": _custom_data(algo.get("algocustomdata") if isinstance(algo, Mapping) else None),
            "allow_network": all((s.get("compute") or {}).get("allowNetworkAccess", False) for _, s, _ in inputs),
        },
    )
    try:
        job = state.store.create_job(job, uses, consumer, [e.consumerAddress for e in state.world.environments],
                                     env.maxJobs, now, unique_agreement=True)
    except OrderInvalid:
        raise ResourceError("order", "order_invalid") from None
    except AgreementInUse:  # operator-service's answer, which the Provider passes on
        raise RouteError("`agreementId` already in use for other job.") from None
    except EnvironmentFull as exc:
        raise RouteError(f"Environment {env.id} is full: {exc}; try again when a job has finished") from None
    state.runner.submit(job)
    return Reply([job_status(job)])


def _custom_data(value: Any) -> Any:
    """algocustomdata as an object: clients send a dict, some a JSON string of one."""
    if isinstance(value, str):
        try:
            return parse_json(value)
        except ValueError:
            return value
    return value


def compute_status(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET compute: the consumer's job (jobId) or all the consumer's jobs; unsigned, as the Provider."""
    require(data, "consumerAddress")
    consumer = str(data["consumerAddress"])
    if data.get("jobId"):
        return Reply([job_status(owned_job(state, data["jobId"], consumer))])
    return Reply([job_status(j) for j in state.store.jobs_of(consumer)])


def _signed_job(state: MockState, data: Mapping[str, Any]) -> Job:
    require(data, "consumerAddress")
    message = f"{data['consumerAddress']}{data.get('jobId') or ''}{data.get('documentId') or ''}"
    consumer = checked_signer(state, data, message)
    if not data.get("jobId"):
        raise RouteError("You have to specify one of agreementId, jobId or owner")
    return owned_job(state, data["jobId"], consumer)


def compute_stop(state: MockState, data: Mapping[str, Any]) -> Reply:
    """PUT compute: stopreq 1; the job still publishes what it produced and finishes."""
    job = _signed_job(state, data)
    if not job.finished:
        state.runner.stop(job.job_id)
    return Reply([job_status(state.store.job(job.job_id))])


def compute_delete(state: MockState, data: Mapping[str, Any]) -> Reply:
    """DELETE compute: checked like stop; operator-service does nothing and answers ""."""
    _signed_job(state, data)
    return Reply("")


# --- results --------------------------------------------------------------------------------------

def compute_result(state: MockState, data: Mapping[str, Any]) -> FileReply:
    """GET computeResult: one result file by index, streamed from the job folder."""
    require(data, "consumerAddress", "jobId")
    raw_index = data.get("index")
    if raw_index is None or raw_index == "":
        raise ValidationError({"index": ["The index field is required."]})
    # The Provider reads `index or ""`: a JSON 0 is signed as nothing (query strings send "0").
    index_text = str(raw_index) if raw_index else ""
    consumer = checked_signer(state, data, f"{data['consumerAddress']}{data['jobId']}{index_text}")
    index = wire.bounded_int(raw_index, INDEX_LIMIT)
    if index is None:
        raise not_a_number("index")
    job = owned_job(state, data["jobId"], consumer)
    if index < 0:
        raise RouteError(f"Negative index {index}", 404)
    if not job.results:
        raise RouteError(f"No results for job {job.job_id}", 404)
    if index >= len(job.results) or (state.profile.missing_result and index == 0):
        raise RouteError(f"No such index {index} in this compute job", 404)
    entry = job.results[index]
    job_dir = state.runner.job_dir(job.job_id).resolve()
    path = (job_dir / entry["path"]).resolve()
    if job_dir not in path.parents:  # defence in depth; the executor already guarantees it
        raise RouteError(f"No such index {index} in this compute job", 404)
    try:
        handle, size = open_regular_file(str(path))
    except OSError:
        raise RouteError(f"No such index {index} in this compute job", 404) from None
    ctype = mimetypes.guess_type(entry["filename"])[0] or "application/octet-stream"
    return FileReply(handle, size, entry["filename"], ctype)


# --- files: info only, never content --------------------------------------------------------------

def fileinfo(state: MockState, data: Mapping[str, Any]) -> Reply:
    """POST fileinfo {did, serviceId[, checksum]}: validity, sizes, types and checksums; never the bytes."""
    require(data, "did", "serviceId")
    asset = state.world.by_did(str(data["did"]))
    if asset is None:
        raise RouteError(f"Asset DID {data['did']} not found", 400)
    if asset.service(str(data["serviceId"])) is None:
        raise RouteError(f"Service with id {data['serviceId']} not found.", 400)
    out = []
    for i, path in enumerate(asset.files):
        info: dict[str, Any] = {"valid": True, "contentLength": str(path.stat().st_size),
                                "contentType": mimetypes.guess_type(path.name)[0] or asset.content_type,
                                "index": i, "type": "url"}
        if data.get("checksum"):
            import hashlib

            info["checksum"] = hashlib.sha256(path.read_bytes()).hexdigest()
            info["checksumType"] = "sha256"
        out.append(info)
    return Reply(out)


def _access_refusal(state: MockState, data: Mapping[str, Any], compute_text: str) -> None:
    require(data, "documentId", "serviceId")
    asset = state.world.by_did(str(data["documentId"]))
    if asset is None:
        raise ResourceError("documentId", "did_not_found")
    service = asset.service(str(data["serviceId"]))
    if service is None:
        raise ResourceError("serviceId", "not_found")
    if service.type == "compute":
        raise RouteError(compute_text)
    # An access service exists in the world so that clients can see this refusal: the mock never
    # lets a dataset's raw bytes leave it, only computed results.
    raise RouteError("This mock Provider never releases a dataset's files; use a compute service.")


def initialize(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET initialize: refused (compute services use initializeCompute; raw access is never granted)."""
    _access_refusal(state, data, "Use the initializeCompute endpoint to initialize compute jobs.")
    raise AssertionError("unreachable")


def download(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET download: always refused; the mock never serves a dataset's raw bytes."""
    _access_refusal(state, data, f"Service with id {data.get('serviceId')} is not an access service.")
    raise AssertionError("unreachable")


def validate_container(state: MockState, data: Mapping[str, Any]) -> Reply:
    """POST validateContainer: echo a complete container, else missing_entrypoint_image_checksum."""
    if not all(data.get(k) for k in ("entrypoint", "image", "checksum")):
        raise RouteError("missing_entrypoint_image_checksum")
    if not str(data["checksum"]).startswith("sha256:"):
        raise RouteError("checksum_prefix")
    return Reply(dict(data))


def unsupported(state: MockState, data: Mapping[str, Any]) -> Reply:
    """encrypt / decrypt / auth tokens: listed in the root map, not offered by the mock."""
    raise RouteError("This route is not supported by the mock Provider.", 400)
