"""The mock Ocean Node's paid compute on a local chain: initializeCompute, the paid start's order,
price and escrow steps, and the claim when a job settles (Part A §6 of the node reference).

Initialize:
Per DDO-backed algorithm and dataset: the order's datatoken, the environment's `consumerAddress`
(the node's own address: orders are placed for it, the user pays), `validOrder` (the order the
client sent, when the chain still backs it for this environment and node, else false), and a
`providerFee` signed with the node's key whenever there is no valid order or its fee ran out (the
node gives `service.timeout` as its validUntil). A raw algorithm is `{"validOrder": false}`.
The `payment` block says what the Escrow must hold: the price of the resources for the rounded-up
minutes of `maxJobDuration`, and the lock's minimum seconds (duration + queue wait + the node's
default 3600 s claim timeout).

Start (startCompute.ts PaidComputeStartHandler): each DDO-backed element needs a `transferTxId`
whose order names the environment's consumerAddress (validateOrders.ts: no provider-fee checks at
start), then a price for `payment.chainId` + `payment.token`, then the Escrow lock (node/escrow.py).
Settle (the engine's claimPayments cron, run lazily when a settled job is read): claim the price of
the minutes the algorithm ran, at least minJobDuration, at most maxJobDuration.
"""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Mapping

from c2d_runner import wire
from mockprovider.node import envs as node_envs
from mockprovider.node import js
from mockprovider.node.errors import json_error
from mockprovider.payment import OrderRefused, sign_provider_fee, validate_order_transaction, verify_order_tx
from mockprovider.world import Environment

CLAIM_DURATION_TIMEOUT = 3600  # the node's default claimDurationTimeout (seconds)
ZERO = "0x0000000000000000000000000000000000000000"


def max_job_duration(requested: Any, env: Environment) -> float:
    """max(requested, or the env's max when none or above it, env.minJobDuration)."""
    value = requested if isinstance(requested, (int, float)) and not isinstance(requested, bool) and requested > 0 \
        else env.maxJobDuration
    return max(min(float(value), float(env.maxJobDuration)), float(node_envs.MIN_JOB_DURATION))


def queue_max_wait(body: Mapping[str, Any]) -> int:
    """The request's queueMaxWaitTime (0 when absent): the mock never queues, but the node's lock
    time (and so minLockSeconds) includes it, so the mock's does too."""
    value = body.get("queueMaxWaitTime")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def env_prices(env: Environment) -> dict[str, Decimal]:
    """The environment's price per resource and minute (the mock prices cpu only)."""
    return {"cpu": Decimal(str(env.priceMin)), "ram": Decimal(0), "disk": Decimal(0)}


def escrow_cost(env: Environment, resources: list[Mapping[str, Any]], duration: float) -> Decimal:
    """Σ price · amount · ceil(duration / 60) over the environment's priced resources (cpu here)."""
    from mockprovider.node.escrow import job_cost

    return job_cost(env_prices(env), resources, duration)


def _order_item(state: Any, env_id: str, element: Mapping[str, Any], payee: str) -> dict[str, Any]:
    if "documentId" not in element:
        return {"validOrder": False}
    did, service_id = js.js_string(element["documentId"]), js.js_string(element.get("serviceId"))
    asset = state.world.by_did(did)
    index = next(i for i, s in enumerate(asset.services) if s.id == service_id)
    service = asset.services[index]
    sent = element.get("transferTxId")
    facts = None
    if sent:
        try:
            facts = verify_order_tx(state.chain, str(sent), nft=asset.nft_address, datatoken=service.datatoken,
                                    service_id=service_id, service_index=index, service_timeout=service.timeout,
                                    environment=env_id, sender=payee, provider_address=payee, allow_expired_fee=True)
        except OrderRefused:
            facts = None
    item = {"did": did, "serviceId": service_id, "datatoken": service.datatoken, "chainId": state.chain.chain_id,
            "consumerAddress": payee, "validOrder": str(sent) if facts else False}
    if facts is None or facts.fee_expired:
        item["providerFee"] = sign_provider_fee(env_id, service.datatoken, service_id, payee, ZERO, 0,
                                                service.timeout, time.time(), wire.TEST_PROVIDER_KEY)
    return item


def initialize_answer(state: Any, env: Environment, body: Mapping[str, Any], algorithm: Mapping[str, Any],
                      datasets: list) -> dict[str, Any]:
    """initializeCompute's answer on a chain: the order items and the Escrow payment block."""
    payee = state.world.provider_address  # the environment's consumerAddress: the node's own
    env_id = node_envs.node_env_id(env)
    payment = body["payment"]
    duration = max_job_duration(body.get("maxJobDuration"), env)
    resources = node_envs.fill_resources(payment.get("resources"), env, free=False)
    amount = int(escrow_cost(env, resources, duration) * 10**18)
    return {
        "algorithm": _order_item(state, env_id, algorithm, payee),
        "datasets": [_order_item(state, env_id, d, payee) for d in datasets],
        "payment": {"escrowAddress": state.chain.addresses["Escrow"], "payee": payee,
                    "chainId": state.chain.chain_id,
                    "minLockSeconds": int(duration) + queue_max_wait(body) + CLAIM_DURATION_TIMEOUT,
                    "token": js.js_string(payment.get("token")), "amount": str(amount)},
    }


def check_orders(state: Any, elements: list[Mapping[str, Any]]) -> None:
    """The paid start's order check per DDO-backed element, against the environment's consumerAddress."""
    for elem in elements:
        if "documentId" not in elem or not elem["documentId"]:
            continue
        did = js.js_string(elem["documentId"])
        asset = state.world.by_did(did)
        index = next(i for i, s in enumerate(asset.services) if s.id == js.js_string(elem.get("serviceId")))
        service = asset.services[index]
        sent = elem.get("transferTxId")
        if not sent:
            raise json_error(500, f"Missing transferTxId for DDO {did}")
        why = validate_order_transaction(state.chain, js.js_string(sent), consumer_address=state.world.provider_address,
                                         nft=asset.nft_address, datatoken=service.datatoken, service_index=index,
                                         service_timeout=service.timeout)
        if why is not None:
            raise json_error(500, f"TxId Service {js.js_string(sent)} is not valid for DDO {did} and service {service.id}")


def _field(payment: Mapping[str, Any], key: str) -> str:
    return js.js_string(payment[key]) if key in payment else "undefined"


def _has_price(state: Any, env: Environment, chain: str, token: Any) -> bool:
    """getEnvPricesForToken found: the env has fees on `chain` (as JS keys it) in exactly `token`."""
    fees = node_envs.environment_document(env, state.world, node_envs.Usage())["fees"] or {}
    return any(f["feeToken"] == token for f in fees.get(chain, []))


def priced_payment(state: Any, env: Environment, body: Mapping[str, Any]) -> dict[str, Any]:
    """getEnvPricesForToken: the job's payment record when the environment has a price for the
    payment's chain and token (the exact token string, as the node compares), else the node's 500."""
    if body.get("payment") is None:  # reading task.payment.chainId throws
        raise json_error(500, f"Cannot read properties of {'null' if 'payment' in body else 'undefined'} "
                              "(reading 'chainId')")
    payment = body["payment"] if isinstance(body["payment"], Mapping) else {}
    chain, token = payment.get("chainId"), payment.get("token")
    if not _has_price(state, env, _field(payment, "chainId"), token):
        raise json_error(500, f"This compute env does not accept payments on chain: {_field(payment, 'chainId')} "
                              f"using token {_field(payment, 'token')}")
    return {"chainId": chain, "token": token, "lockTx": None, "claimTx": None, "cancelTx": None, "cost": 0}


def lock_for_start(state: Any, env: Environment, payment: dict[str, Any], job_id_hash: str, payer: str,
                   resources: list, max_duration: float, queue_wait: int) -> dict[str, Any]:
    """The Escrow lock for a paid start (the price of maxJobDuration, for maxJobDuration + the claim
    timeout); the payment record with its lockTx, or the node's 400."""
    from mockprovider.node.escrow import LockRefused, create_lock, to_wei

    expiry = max_duration + queue_wait + CLAIM_DURATION_TIMEOUT
    if expiry != int(expiry):
        raise json_error(400, f"The number {js.number_text(expiry)} cannot be converted to a BigInt because it "
                              "is not an integer")
    cost = escrow_cost(env, resources, max(max_duration, node_envs.MIN_JOB_DURATION))
    try:
        lock_tx = create_lock(state.chain, job_id_hash, payment["token"], payer,
                              to_wei(state.chain, payment["token"], cost), int(expiry), _field(payment, "chainId"))
    except LockRefused as exc:
        raise json_error(400, str(exc)) from None
    return dict(payment, lockTx=lock_tx)


def release_lock(state: Any, payment: Mapping[str, Any], job_id_hash: str, payer: str) -> None:
    """A start that failed after its lock: the node's cancelExpiredLock, which leaves a fresh lock
    in place (it is cancelled once it expires); failures are ignored, as by the node."""
    from mockprovider.node.escrow import cancel_expired_lock

    try:
        cancel_expired_lock(state.chain, job_id_hash, payment["token"], payer)
    except Exception:  # "is fine if it fails"
        pass


def settle_payment(state: Any, job: Any, proof: Mapping[str, Any]) -> bool:
    """The claim cron on one paid job (once: under the chain's lock, re-read): claim what ran, or
    cancel an expired lock. True once the job's payment is settled, False to retry at the next read."""
    from mockprovider.node.escrow import claimed_seconds, job_cost, settle
    from mockprovider.node.jobview import job_id_hash

    with state.chain.lock:
        job = state.store.job(job.job_id)
        payment = job.details.get("payment") or job.request["payment"]
        if payment.get("claimTx") or payment.get("cancelTx"):
            return True
        env = node_envs.world_environment(state.world, job.request["environment"])
        if env is None or not _has_price(state, env, js.js_string(payment["chainId"]), payment["token"]):
            return False  # the node skips a job whose environment or fee it cannot find
        seconds = claimed_seconds(job.details, float(job.request["maxJobDuration"]), node_envs.MIN_JOB_DURATION)
        cost = job_cost(env_prices(env), job.request.get("resources", []), seconds) if seconds > 0 else Decimal(0)
        try:
            done = settle(state.chain, payment, job_id_hash(job.job_id), job.owner, seconds, cost, proof)
        except Exception as exc:  # a revert, no gas: the node logs it and tries again at its next run
            state.runner.errors.append(f"job {job.job_id}: escrow claim failed: {exc}")
            return False
        state.store.update_details(job.job_id, payment=dict(payment, **done))
    return True


__all__ = ["max_job_duration", "queue_max_wait", "env_prices", "escrow_cost", "initialize_answer", "check_orders",
           "priced_payment", "lock_for_start", "release_lock", "settle_payment"]
