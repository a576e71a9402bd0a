"""Ocean Node routes (responses layer): read a request, apply the node's rules in its order, answer.

Handlers take (state, NodeRequest) and return a Reply / TextReply / StreamReply or raise NodeError;
they never touch the socket.  Wire facts follow reference/ocean-node-api.md (Part B wins over A).
"""
from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from mockprovider import trust
from mockprovider.http import Reply, StreamReply, TextReply
from mockprovider.node import envs as node_envs
from mockprovider.node import js
from mockprovider.node.auth import authenticate
from mockprovider.node.errors import HTML, NodeError, internal, json_error, missing_fields, text_error
from mockprovider.node.escrow import CLAIMED_AT
from mockprovider.node.jobview import (SETTLING, existing_files, job_id_hash, past_settle_delay, result_entries,
                                       settled_status, start_document, status_document)
from mockprovider.state import MockState
from mockprovider.store import EnvironmentFull, Job
from mockprovider.world import Environment

NODE_VERSION = "0.0.1"  # the node's root document carries this literal, not its package version
METADATA_LIMIT = 1024
LOG_POLL_SECONDS = 0.1
ARCH = node_envs.PLATFORM["architecture"]


@dataclass(frozen=True)
class NodeRequest:
    """What a node handler reads: query parameters, the JSON body, headers, path arguments, caller."""

    query: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    args: Mapping[str, str] = field(default_factory=dict)

    @property
    def authorization(self) -> str | None:
        """The raw Authorization header (the node's token; no "Bearer")."""
        return self.headers.get("Authorization")


def _node_status(state: MockState, job: Job) -> tuple[Job, int]:
    """The job and its status now; past the settle delay the claim cron's moves are made: a paid
    job's escrow lock is claimed (node/paid.py), and a 71 is written as 70 (a paid one once claimed)."""
    if job.request.get("payment") and state.chain is not None and job.status in CLAIMED_AT \
            and past_settle_delay(job, state.settle_seconds):
        from mockprovider.node.paid import settle_payment

        settled = settle_payment(state, job, status_document(job, job.status, None))
        job = state.store.job(job.job_id)
        if not settled:
            return job, job.status
    status = settled_status(job, state.settle_seconds)
    if status != job.status:
        state.store.settle(job.job_id)
    return job, status


def _files(state: MockState, job: Job) -> list[dict[str, Any]]:
    from mockprovider.node.lifecycle import live_files

    return existing_files(job, state.runner.job_dir(job.job_id), live_files)


# --- root, nonce, environments --------------------------------------------------------------------

def root(state: MockState, req: NodeRequest) -> Reply:
    """GET /: the node's identity and its serviceEndpoints map."""
    from mockprovider.node.routes import service_endpoints

    return Reply({
        "nodeId": node_id(state),
        "chainIds": [str(state.world.chain_id)],
        "providerAddress": state.world.provider_address,
        "nodePublicKey": node_public_key(),
        "serviceEndpoints": service_endpoints(),
        "software": "Ocean-Node",
        "version": NODE_VERSION,
    })


def node_id(state: MockState) -> str:
    """A libp2p-looking peer id, fixed per mock key (the mock speaks no P2P)."""
    return "16Uiu2HAm" + hashlib.sha256(state.world.provider_address.encode()).hexdigest()[:44]


def node_public_key() -> dict[str, int]:
    """The 33-byte compressed public key of the node key, as the node serialises a Uint8Array."""
    from coincurve import PrivateKey

    from c2d_runner.wire import TEST_PROVIDER_KEY

    raw = PrivateKey(bytes.fromhex(TEST_PROVIDER_KEY[2:])).public_key.format(compressed=True)
    return {str(i): b for i, b in enumerate(raw)}


def nonce(state: MockState, req: NodeRequest) -> Reply:
    """GET nonce?userAddress: the stored nonce as a string for the EXACT address (0 when new)."""
    address = req.query.get("userAddress")
    return Reply({"nonce": state.store.nonce("undefined" if address is None else address, exact=True, first="0")})


def _usage(state: MockState, env: Environment) -> node_envs.Usage:
    jobs = state.store.running_jobs(env.id)
    in_use: dict[str, float] = {}
    free_in_use: dict[str, float] = {}
    for job in jobs:
        for r in job.request.get("resources", []):
            amount = js.to_number(r.get("amount"))
            if not math.isnan(amount):
                amount = int(amount) if amount.is_integer() else amount
                in_use[r["id"]] = in_use.get(r["id"], 0) + amount
                if job.request.get("isFree"):
                    free_in_use[r["id"]] = free_in_use.get(r["id"], 0) + amount
    free_jobs = sum(1 for j in jobs if j.request.get("isFree"))
    return node_envs.Usage(len(jobs), free_jobs, in_use, free_in_use)


def environments(state: MockState) -> list[dict[str, Any]]:
    """Every environment as computeEnvironments serves it now (live counters)."""
    return [node_envs.environment_document(e, state.world, _usage(state, e)) for e in state.world.environments]


def compute_environments(state: MockState, req: NodeRequest) -> Reply:
    """GET computeEnvironments[?chainId]: all environments; with a chainId only those with fees on it."""
    chain = js.parse_int(req.query.get("chainId")) if req.query.get("chainId") else math.nan
    docs = environments(state)
    if not math.isnan(chain) and chain:
        docs = [d for d in docs if d["fees"] and js.number_text(chain) in d["fees"]]
    return Reply(docs)


# --- starts ---------------------------------------------------------------------------------------

def _required(body: Mapping[str, Any], command: str, fields: tuple[str, ...]) -> None:
    for f in fields:
        value = body.get(f)
        # The route reads `body.x || null`: a falsy value counts as missing ([] and {} do not).
        if value in (None, "", 0, False):
            raise json_error(400, missing_fields(f, command, fields))
    if not js.is_address(body.get("consumerAddress")):
        raise json_error(400, 'Parameter : "consumerAddress" is not a valid web3 address')


def _environment(state: MockState, env_id: Any) -> Environment:
    if not isinstance(env_id, str):
        raise json_error(500, "task.environment.indexOf is not a function")
    cluster, _ = node_envs.split_prefixed(env_id)
    env = node_envs.world_environment(state.world, env_id) if cluster == node_envs.CLUSTER_HASH else None
    if env is None:
        raise json_error(500, "Invalid C2D Environment")
    return env


def _elements(algorithm: Any, datasets: Any) -> list[Any]:
    """[algorithm, *datasets], refusing what the node's loop over them would crash on."""
    if not isinstance(datasets, list):
        raise json_error(500, "task.datasets is not iterable")
    elements = [algorithm, *datasets]
    for e in elements:
        if not isinstance(e, Mapping):
            raise json_error(500, f"Cannot use 'in' operator to search for 'documentId' in {js.js_string(e)}")
    return elements


def _check_ddos(state: MockState, elements: list[Mapping[str, Any]], consumer: str) -> None:
    """Each element with a documentId: found, orderable, credentials, service (free and paid)."""
    for elem in elements:
        if "documentId" not in elem:
            continue
        did = js.js_string(elem.get("documentId"))
        asset = state.world.by_did(did)
        if asset is None:
            raise json_error(500, f"DDO {did} not found")
        # The node tests `state in [ACTIVE, UNLISTED]`, i.e. against the array's INDEXES 0 and 1.
        if asset.nft_state not in (0, 1):
            raise json_error(500, "Nft not present in the asset or the state is different than ACTIVE or UNLISTED.")
        if trust.credential_code(state.ddos[did], consumer):
            raise json_error(403, f"Error: Access to asset {did} was denied")
        service_id = js.js_string(elem.get("serviceId"))
        if asset.service(service_id) is None:
            raise json_error(500, f"Cannot find service {service_id} in DDO {did}")


def _container(algorithm: Mapping[str, Any]) -> Mapping[str, Any] | None:
    meta = algorithm.get("meta")
    container = meta.get("container") if isinstance(meta, Mapping) else None
    return container if isinstance(container, Mapping) and container else None


def algorithm_image(container: Mapping[str, Any]) -> str:
    """getAlgorithmImage: image@checksum, else image:tag, else image:latest."""
    image = js.js_string(container.get("image")) if container.get("image") is not None else "undefined"
    if container.get("checksum"):
        return f"{image}@{js.js_string(container['checksum'])}"
    if container.get("tag"):
        return f"{image}:{js.js_string(container['tag'])}"
    return f"{image}:latest"


def _check_image(state: MockState, algorithm: Mapping[str, Any], free_env: bool) -> Mapping[str, Any]:
    """startComputeJob's image checks; an image with no world runtime is one the node cannot find."""
    container = _container(algorithm)
    if container is None:
        raise json_error(500, "Unable to extract docker image null from algoritm: "
                              + json.dumps(algorithm, separators=(",", ":"), ensure_ascii=False))
    if container.get("dockerfile") and free_env:
        raise json_error(500, "Building image is not allowed for free jobs")
    image, tag = container.get("image"), container.get("tag")
    if not isinstance(image, str) or state.world.command_map(image, tag if isinstance(tag, str) else "") is None:
        raise json_error(500, f"Cannot find image {algorithm_image(container)} for {ARCH}. Maybe it does not exist "
                              "or it's build for other arhitectures.")
    return container


def _max_duration(value: Any, cap: float) -> float:
    """`!d || d > cap ? cap : d`; the mock also replaces what is not a positive number by the cap."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value > cap:
        return cap
    return value


def free_compute(state: MockState, req: NodeRequest) -> Reply:
    """POST freeCompute: the node's free start, in its order of checks; answers the job at status 10."""
    body = req.body
    command, fields = "freeStartCompute", ("algorithm", "datasets", "environment")
    _required(body, command, fields)
    consumer = body["consumerAddress"]
    authenticate(state.store, consumer, body.get("nonce"), body.get("signature"), req.authorization, command, "json")
    algorithm, datasets = body["algorithm"], body["datasets"]
    env = _environment(state, body["environment"])
    elements = _elements(algorithm, datasets)
    _check_ddos(state, elements, consumer)
    if not node_envs.is_free(env):
        raise json_error(400, "TypeError: Cannot read properties of undefined (reading 'access')")
    try:
        resources = node_envs.fill_resources(body.get("resources"), env, free=True)
        node_envs.check_capacity(env, _usage(state, env), free=True)
    except node_envs.ResourceRefused as exc:
        raise json_error(400, str(exc)) from None
    max_duration = _max_duration(body.get("maxJobDuration"), env.maxJobDuration)
    metadata = _metadata(body)
    container = _check_image(state, algorithm, free_env=True)
    job = _new_job(state, env, consumer, algorithm, datasets, container, resources, max_duration, metadata,
                   body.get("additionalViewers") or None)
    return Reply([start_document(job)])


def _raw_job_id(consumer: str) -> str:
    """A fresh raw job id: 64 hex digits, as the node's sha256-based generateUniqueID gives."""
    return hashlib.sha256(f"{consumer}{time.time()}{secrets.token_hex(16)}".encode()).hexdigest()


def _metadata(body: Mapping[str, Any]) -> Any:
    """The job's metadata (null when not sent); over 1024 characters of JSON the start refuses it."""
    metadata = body.get("metadata") or None
    if isinstance(metadata, Mapping) and metadata and len(json.dumps(metadata, separators=(",", ":"))) > METADATA_LIMIT:
        raise json_error(500, "Metadata size is too large")
    return metadata


def _new_job(state: MockState, env: Environment, consumer: str, algorithm: Mapping[str, Any], datasets: list,
             container: Mapping[str, Any], resources: list, max_duration: float, metadata: Any,
             viewers: Any, raw_id: str | None = None, payment: dict[str, Any] | None = None) -> Job:
    now = time.time()
    raw_id = raw_id or _raw_job_id(consumer)
    custom = algorithm.get("algocustomdata")
    envs = algorithm.get("envs")
    job = Job(
        job_id=raw_id, ordinal=0, owner=consumer, agreement_id="", environment=env.id, status=10, stopreq=0,
        removed=0, date_created=js.date_text(now), date_finished=None,
        algo_did=js.js_string(algorithm["documentId"]) if "documentId" in algorithm else "raw",
        input_dids=tuple(js.js_string(d["documentId"]) for d in datasets if "documentId" in d), results=None,
        request={
            "protocol": "ocean-node", "isFree": payment is None, "payment": payment,
            "environment": node_envs.node_env_id(env),
            "resources": resources, "maxJobDuration": max_duration, "metadata": metadata,
            "additionalViewers": viewers if isinstance(viewers, list) else None,
            "algorithm": {
                "did": js.js_string(algorithm["documentId"]) if "documentId" in algorithm else None,
                "rawcode": _rawcode(algorithm),
                "container": {k: js.js_string(container.get(k) or "") for k in ("entrypoint", "image", "tag", "checksum")},
                "envs": {str(k): js.js_string(v) for k, v in envs.items()} if isinstance(envs, Mapping) else {},
            },
            "algocustomdata": custom,
            "datasets": [_dataset_spec(d) for d in datasets],
        },
    )
    try:
        job = state.store.create_job(job, [], consumer, [], env.maxJobs or 10**9, now)
    except EnvironmentFull:  # a concurrent start took the last place
        raise json_error(400, "Too many running free jobs " if payment is None else "Too many running jobs ") from None
    state.runner.submit(job)
    return job


def _rawcode(algorithm: Mapping[str, Any]) -> str | None:
    meta = algorithm.get("meta")
    code = meta.get("rawcode") if isinstance(meta, Mapping) else None
    return code if isinstance(code, str) else None


def _dataset_spec(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the runner needs of one dataset: a world DID + service, or a URL fileObject, and userdata."""
    spec: dict[str, Any] = {"userdata": item.get("userdata") if isinstance(item.get("userdata"), Mapping) else None}
    if "documentId" in item:
        spec.update(did=js.js_string(item["documentId"]), service_id=js.js_string(item.get("serviceId")))
    else:
        fo = item.get("fileObject")
        fo = fo if isinstance(fo, Mapping) else {}
        headers = fo.get("headers")
        spec.update(url=js.js_string(fo.get("url", "")), method=js.js_string(fo.get("method") or "get"),
                    headers={str(k): js.js_string(v) for k, v in headers.items()} if isinstance(headers, Mapping) else {})
    return spec


def paid_compute(state: MockState, req: NodeRequest) -> Reply:
    """POST compute (paid start), in the node's order of checks. On a local chain (state.chain): the
    orders, the price and the Escrow lock, then the job (node/paid.py, node/escrow.py); without
    one, refused as by a node that cannot take payments, after the trust rules so that those can
    be tested offline."""
    body = req.body
    command, fields = "startCompute", ("environment", "algorithm", "datasets", "maxJobDuration")
    _required(body, command, fields)
    if js.parse_int(body.get("maxJobDuration")) <= 0:
        raise json_error(400, "Invalid maxJobDuration")
    consumer = body["consumerAddress"]
    authenticate(state.store, consumer, body.get("nonce"), body.get("signature"), req.authorization, command, "json")
    env = _environment(state, body["environment"])
    try:
        resources = node_envs.fill_resources(body.get("resources"), env, free=False)
        node_envs.check_capacity(env, _usage(state, env), free=False)
    except node_envs.ResourceRefused as exc:
        raise json_error(400, str(exc).removeprefix("Error: ")) from None
    algorithm, datasets = body["algorithm"], body["datasets"]
    elements = _elements(algorithm, datasets)
    _check_ddos(state, elements, consumer)
    _check_trust(state, algorithm, datasets, json_error)
    if state.chain is None:
        if any("documentId" in e for e in elements):
            raise json_error(400, f"Start Compute: Blockchain instance not available for chain {state.world.chain_id}")
        payment = body.get("payment") if isinstance(body.get("payment"), Mapping) else {}
        raise json_error(500, f"This compute env does not accept payments on chain: "
                              f"{js.js_string(payment.get('chainId'))} using token {js.js_string(payment.get('token'))}")
    from mockprovider.node import paid

    paid.check_orders(state, elements)
    algorithm = _with_meta(state, algorithm)
    payment = paid.priced_payment(state, env, body)
    max_duration = _max_duration(body.get("maxJobDuration"), env.maxJobDuration)
    raw_id = _raw_job_id(consumer)
    payment = paid.lock_for_start(state, env, payment, job_id_hash(raw_id), consumer, resources, max_duration,
                                  paid.queue_max_wait(body))
    try:
        metadata = _metadata(body)
        container = _check_image(state, algorithm, free_env=False)
        job = _new_job(state, env, consumer, algorithm, datasets, container, resources, max_duration, metadata,
                       body.get("additionalViewers") or None, raw_id=raw_id, payment=payment)
    except NodeError as exc:  # startComputeJob failed after the lock: the node's cancel, then a 400
        paid.release_lock(state, payment, job_id_hash(raw_id), consumer)
        raise json_error(400, exc.message) from None
    return Reply([start_document(job)])


def _with_meta(state: MockState, algorithm: Mapping[str, Any]) -> Mapping[str, Any]:
    """The algorithm with `meta` filled from its DDO when the client sent none (the paid start does this)."""
    if "meta" in algorithm or "documentId" not in algorithm:
        return algorithm
    asset = state.world.by_did(js.js_string(algorithm["documentId"]))
    about = state.ddos[asset.did]["metadata"] if asset else {}
    if about.get("type") != "algorithm" or not isinstance(about.get("algorithm"), Mapping):
        return algorithm
    container = about["algorithm"].get("container") or {}
    return dict(algorithm, meta={"language": about["algorithm"].get("language"),
                                 "version": about["algorithm"].get("version"),
                                 "container": {k: container.get(k) for k in ("entrypoint", "image", "tag", "checksum")}})


def _check_trust(state: MockState, algorithm: Mapping[str, Any], datasets: list, error) -> None:
    """validateAlgoForDataset for every dataset DDO, with the world's deny-by-default node policy."""
    from mockprovider.world import algorithm_checksums

    algo_did = js.js_string(algorithm["documentId"]) if "documentId" in algorithm else None
    algo_asset = state.world.by_did(algo_did) if algo_did else None
    if algo_asset is not None and algo_asset.container is not None:
        files_sum, container_sum = algorithm_checksums(algo_asset)
        facts = trust.AlgorithmFacts(algo_asset.did, algo_asset.owner, algo_asset.nft_address, files_sum, container_sum)
    else:
        facts = trust.AlgorithmFacts(None, None, None, None, None)
    for d in datasets:
        if not isinstance(d, Mapping) or "documentId" not in d:
            continue
        did = js.js_string(d["documentId"])
        service = next((s for s in state.ddos[did]["services"] if s["id"] == js.js_string(d.get("serviceId"))), None)
        if service is not None and trust.algorithm_error(trust.OCEAN_NODE, service, facts):
            raise error(400, f"Algorithm {algo_did} not allowed to run on the dataset: {did}")


def initialize_compute(state: MockState, req: NodeRequest) -> Reply:
    """POST initializeCompute (unsigned): the node's checks, the trust rules, then the orders and the
    Escrow payment block on a local chain (node/paid.py), or the node's answer when it has no escrow
    for the payment's chain."""
    body = req.body  # express always gives an object here, so the node's "Missing required body" never shows
    datasets = body.get("datasets") or []
    if not body.get("algorithm"):
        raise text_error(400, "Missing algorithm")
    if not isinstance(datasets, list) or any(not isinstance(d, Mapping) for d in datasets):
        raise text_error(500, "Internal Server Error")
    if any(not d.get("documentId") for d in datasets):
        raise text_error(400, "Missing dataset did")
    fields = ("datasets", "algorithm", "payment", "consumerAddress", "environment")
    for f in fields:
        if body.get(f) is None and not (f == "datasets"):
            raise text_error(400, missing_fields(f, "initializeCompute", fields))
    if not js.is_address(body.get("consumerAddress")):
        raise text_error(400, 'Parameter : "consumerAddress" is not a valid web3 address')
    payment = body["payment"]
    if not isinstance(payment, Mapping) or not payment.get("chainId") or not payment.get("token"):
        raise text_error(400, "Invalid payment options")
    chain = js.js_string(payment.get("chainId"))
    try:
        env = _environment(state, body["environment"])
    except NodeError:
        env = None
    fees = (node_envs.environment_document(env, state.world, node_envs.Usage())["fees"] or {}) if env else {}
    if chain not in fees:  # the node looks the environment up among those with fees on the payment's chain
        raise text_error(500, "Invalid C2D Environment")
    algorithm = body["algorithm"] if isinstance(body["algorithm"], Mapping) else {}
    try:
        _check_ddos(state, [algorithm, *datasets], str(body["consumerAddress"]))
    except NodeError as exc:
        raise text_error(exc.status, exc.message) from None
    _check_trust(state, algorithm, datasets, text_error)
    tokens = [f["feeToken"].lower() for f in fees[chain]]
    if js.js_string(payment.get("token")).lower() not in tokens:
        raise text_error(500, f"This compute env does not accept payments on chain: {chain} using token "
                              f"{js.js_string(payment.get('token'))}")
    if state.chain is not None and chain == str(state.chain.chain_id):  # an Escrow on this chain: paid compute
        from mockprovider.node.paid import initialize_answer

        try:
            return Reply(initialize_answer(state, env, body, algorithm, datasets))
        except node_envs.ResourceRefused as exc:
            raise text_error(400, str(exc)) from None
    raise text_error(500, f"Cannot handle payments on chainId: {chain}")


# --- status, stop, delete -------------------------------------------------------------------------

def compute_status(state: MockState, req: NodeRequest) -> Reply:
    """GET compute (unsigned): jobs by exact owner / prefixed jobId / agreementId; failures are a bare 500."""
    q = req.query
    consumer, job_id, agreement = q.get("consumerAddress") or None, q.get("jobId") or None, q.get("agreementId") or None
    if consumer and not js.is_address(consumer):
        raise internal()
    if not (consumer or job_id or agreement):
        raise internal()
    raw = None
    if job_id:
        i = job_id.find("-")
        if i > 0:  # an unprefixed id (no "-", or a leading one) is dropped, as by the node
            if job_id[:i] != node_envs.CLUSTER_HASH:
                raise internal()
            raw = job_id[i + 1:]
    if agreement is not None and not agreement.startswith("0x"):
        agreement = "0x" + agreement
    jobs = state.store.jobs_matching(owner=consumer, job_id=raw, agreement_id=agreement)
    return Reply([status_document(*_node_status(state, j), result_entries(_files(state, j))) for j in jobs])


def compute_stop(state: MockState, req: NodeRequest) -> Reply:
    """PUT compute?consumerAddress&signature&nonce&jobId: flags the owner's job; failures are a bare 500."""
    q = req.query
    if not q.get("jobId") or not js.is_address(q.get("consumerAddress")):
        raise internal()
    try:
        authenticate(state.store, q.get("consumerAddress"), q.get("nonce"), q.get("signature"), req.authorization,
                     "stopCompute", "text")
    except NodeError:
        raise internal() from None
    cluster, raw = node_envs.split_prefixed(q["jobId"])
    if cluster != node_envs.CLUSTER_HASH:
        raise internal()
    agreement = q.get("agreementId") or None
    if agreement is not None and not agreement.startswith("0x"):
        agreement = "0x" + agreement
    jobs = state.store.jobs_matching(owner=q["consumerAddress"], job_id=raw, agreement_id=agreement)
    out = []
    for job in jobs:
        state.runner.stop(job.job_id)  # a finished job only gets the flag, as on the node
        job = state.store.job(job.job_id)
        out.append(status_document(*_node_status(state, job), None))
    return Reply(out)


def compute_delete(state: MockState, req: NodeRequest) -> TextReply:
    """DELETE compute: the node has no delete."""
    return TextReply("Not yet implemented!", 404, HTML)


# --- results and logs -----------------------------------------------------------------------------

def _signed_job_request(state: MockState, req: NodeRequest, command: str, required: tuple[str, ...]) -> tuple[str, str]:
    """Validation, authentication and the cluster check shared by computeResult and the live logs."""
    q = req.query
    for f in required:
        if not q.get(f):
            raise text_error(400, missing_fields(f, command, required))
    consumer = q.get("consumerAddress")
    if consumer and not js.is_address(consumer):
        raise text_error(400, 'Parameter : "consumerAddress" is not a valid web3 address')
    return consumer or "", q["jobId"]


def _authenticated_raw_id(state: MockState, req: NodeRequest, consumer: str, job_id: str, command: str) -> str:
    """Check and use the signed nonce, then the raw id of a job of this node's one cluster."""
    q = req.query
    authenticate(state.store, consumer or None, q.get("nonce"), q.get("signature"), req.authorization, command, "text")
    cluster, raw = node_envs.split_prefixed(job_id)
    if cluster != node_envs.CLUSTER_HASH:
        raise text_error(500, "Invalid C2D Environment")
    return raw


def compute_result(state: MockState, req: NodeRequest) -> StreamReply | TextReply:
    """GET computeResult: one file by its dynamic index; past the end an empty 200, as the node."""
    consumer, job_id = _signed_job_request(state, req, "getComputeResult", ("jobId", "index"))
    index = js.to_number(req.query["index"])
    if math.isnan(index) or index < 0:  # refused before the signature: the nonce stays unused
        raise text_error(400, "Invalid result index")
    raw = _authenticated_raw_id(state, req, consumer, job_id, "getComputeResult")
    job = state.store.job(raw)
    if job is None or job.request.get("protocol") != "ocean-node":
        raise text_error(500, f"Cannot find job with id {raw}")
    viewers = job.request.get("additionalViewers") or []
    if job.owner != consumer and consumer not in viewers:
        raise text_error(500, f"{consumer} is not authorized to get results for job with id {raw}")
    files = _files(state, job)
    entries = result_entries(files)
    for entry in entries:
        if entry["index"] == index:
            path = next(f["path"] for f in files if f["filename"] == entry["filename"] and f["type"] == entry["type"])
            ctype = "application/octet-stream" if entry["type"] == "output" else "text/plain; charset=utf-8"
            return StreamReply(_file_chunks(path), ctype)
    return TextReply("", 200, None)


def _file_chunks(path: str) -> Iterator[bytes]:
    from mockprovider.http import CHUNK, open_regular_file

    try:
        handle, _ = open_regular_file(path)
    except OSError:
        return
    with handle:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                return
            yield chunk


def compute_streamable_logs(state: MockState, req: NodeRequest) -> StreamReply | TextReply:
    """GET computeStreamableLogs: the framed algorithm log from its start while the job runs (status
    40), closed when it leaves 40; any signer may read it (the node checks no owner)."""
    consumer, job_id = _signed_job_request(state, req, "getComputeStreamableLogs", ("jobId",))
    raw = _authenticated_raw_id(state, req, consumer, job_id, "getComputeStreamableLogs")
    job = state.store.job(raw)
    path = state.runner.live_log(raw) if job is not None and job.status == 40 else None
    if path is None:
        raise text_error(404, "Job not found or not running")
    return StreamReply(_follow(state, raw, path), None)


def _follow(state: MockState, raw: str, path: str) -> Iterator[bytes]:
    """Bytes of a growing file until its job leaves status 40, then the rest.

    The file is opened once: the executor renames it to algorithm.log when the job ends, and an
    open handle keeps reading the same file through the rename.
    """
    try:
        fh = open(path, "rb")
    except OSError:
        return
    with fh:
        while True:
            running = (job := state.store.job(raw)) is not None and job.status == 40 and not state.runner.closing
            while chunk := fh.read(64 * 1024):
                yield chunk
            if not running:
                return
            time.sleep(LOG_POLL_SECONDS)


# --- DDO routes -----------------------------------------------------------------------------------

def get_ddo(state: MockState, req: NodeRequest) -> Reply:
    """GET /api/aquarius/assets/ddo/:did[/:force] (and metadata/...): the full DDO from the local store."""
    did = req.args.get("did", "")
    if not did.startswith("did:op"):
        raise text_error(400, 'Missing or invalid required parameter: "did"')
    ddo = state.ddos.get(did)
    if ddo is None:
        raise text_error(404, "DDO not found")
    return Reply(node_ddo(ddo))


def node_ddo(ddo: Mapping[str, Any]) -> dict[str, Any]:
    """The mock's DDO with the node's `indexedMetadata` (nft, event, stats) next to its own fields."""
    out = dict(ddo)
    out["indexedMetadata"] = {"nft": ddo.get("nft"), "event": ddo.get("event"), "stats": [],
                              "purgatory": ddo.get("purgatory")}
    return out


def ddo_query(state: MockState, req: NodeRequest) -> Reply:
    """POST /api/aquarius/assets/metadata/query: answered by the mock's small query engine."""
    from mockprovider import aquarius
    from mockprovider.errors import MockError

    try:
        return aquarius.query(state, req.body if isinstance(req.body, Mapping) else None)
    except MockError as exc:
        raise text_error(exc.status, json.dumps(exc.json_body())) from None

