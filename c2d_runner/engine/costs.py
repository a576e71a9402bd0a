"""What a paid job will cost, before anything is paid: from initializeCompute's answer (pure), and
`--max-spend`'s check of a whole run against it.

Per input the provider asks an order for: one datatoken (`startOrder` takes exactly 1) and the
provider fee (an amount in a fee token, usually OCEAN); an order the provider still accepts costs
nothing, one whose fee ran out costs a fresh fee (`reuseOrder`). Gas: each transaction (an approve
before each order whose fee is above zero, then the order) is counted, and with a payer its gas is
estimated (or a typical figure stands in, c2d_runner.ocean.funds.TYPICAL_GAS) and priced at the
chain's gas price, in the chain's native coin (the totals' "native" entry). On an Ocean
Node's paid environment the job also costs what the node locks in its Escrow at start (the compute
price for the job's maxJobDuration), and the gas of the Escrow transactions the payer's funds and
authorization there still need (approve, deposit, authorize: none once they cover the job), read
as they are now for each job.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from c2d_runner.errors import InvalidInput
from c2d_runner.ocean.orders import ZERO_ADDRESS

WEI = 10**18  # OCEAN and Ocean's datatokens have 18 decimals


class SpendLimitExceeded(InvalidInput):
    """The run's estimated spend is above --max-spend; nothing was started or paid."""


NATIVE = "native"  # the totals' key for the chain's own coin (ETH, POL...), which pays for gas


def order_items(init: Any, inputs: list[tuple[str, Any]]) -> list[tuple[tuple[str, Any], Any]]:
    """[((input name, ComputeInput), OrderItem)]: initializeCompute's items beside the inputs they price (pure)."""
    return list(zip(inputs, [*init.datasets, *([init.algorithm] if init.algorithm is not None else [])]))


def order_costs(init: Any, inputs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The costs of one job from its InitializeResult and [(input name, ComputeInput)] in init's order (pure)."""
    orders, totals, transactions = [], {}, 0
    for (name, compute_input), item in order_items(init, inputs):
        fee = item.provider_fee or {}
        amount = int(fee.get("providerFeeAmount") or 0)
        token = str(fee.get("providerFeeToken") or ZERO_ADDRESS)
        how = "validOrder" if item.reusable else ("reuseOrder" if item.valid_order else "startOrder")
        datatoken = item.datatoken or compute_input.service.datatoken
        orders.append({"input": name, "did": compute_input.did, "datatoken": datatoken, "how": how,
                       "fee_token": token if fee else None, "fee_amount": str(amount)})
        if how == "startOrder":
            totals[datatoken] = totals.get(datatoken, 0) + WEI
        if amount and token.lower() != ZERO_ADDRESS:
            totals[token] = totals.get(token, 0) + amount
            transactions += 1  # the approve
        transactions += how != "validOrder"
    return {"orders": orders, "transactions": transactions, "totals": {t: str(v) for t, v in totals.items()}}


def gas_costs(gas: list[Any], price: int) -> dict[str, Any]:
    """One job's gas from its inputs' GasEstimates at `price` wei per gas: total gas, whether all of it
    was estimated by the chain, the price and the cost in the native coin (wei strings) (pure)."""
    total = sum(g.gas for g in gas)
    return {"gas": total, "estimated": all(g.estimated for g in gas), "price": str(price),
            "cost": str(total * price)}


def gas_text(gas: dict[str, Any]) -> str:
    """A job's gas as `c2d plan` says it: 'about 0.00042 native coin (420000 gas at 1 gwei)' (pure)."""
    from c2d_runner.ocean.funds import amount_text, gwei_text

    how = "" if gas["estimated"] else "; typical gas where a transaction cannot be estimated before its approve"
    return (f"about {amount_text(int(gas['cost']))} native coin ({gas['gas']} gas at "
            f"{gwei_text(int(gas['price']))}{how})")


def token_amount_text(wei: int | str, token: str, symbols: dict[str, str] | None = None) -> str:
    """An amount of a token by its symbol when known: '2.5 OCEAN (0xO)', else '2.5 of token 0xO' (pure)."""
    from c2d_runner.ocean.funds import amount_text

    symbol = (symbols or {}).get(token)
    return f"{amount_text(int(wei))} {symbol} ({token})" if symbol else f"{amount_text(int(wei))} of token {token}"


def spend_text(totals: dict[str, str], symbols: dict[str, str] | None = None) -> str:
    """A run's totals as `c2d plan` says them: '2.5 OCEAN (0xO), about 0.0004 native coin for gas', a
    token without a known symbol as '2.5 of token 0xO' (pure)."""
    from c2d_runner.ocean.funds import amount_text

    parts = [token_amount_text(v, t, symbols) for t, v in totals.items() if t != NATIVE]
    if NATIVE in totals:
        parts.append(f"about {amount_text(int(totals[NATIVE]))} native coin for gas")
    return ", ".join(parts) or "nothing"


def add_totals(costs: list[dict[str, Any]]) -> dict[str, str]:
    """Totals per token (wei, as strings) over several jobs' costs; gas, where priced, as NATIVE."""
    out: dict[str, int] = {}
    for cost in costs:
        for token, amount in cost["totals"].items():
            out[token] = out.get(token, 0) + int(amount)
        if "gas" in cost:
            out[NATIVE] = out.get(NATIVE, 0) + int(cost["gas"]["cost"])
    return {t: str(v) for t, v in out.items()}


def check_spend(totals: dict[str, str], max_spend: Decimal, datatokens: set[str] | frozenset[str],
                symbols: dict[str, str] | None = None) -> None:
    """Raise SpendLimitExceeded when any fee token's total is above `max_spend` (whole tokens; datatokens
    are the assets' price, one per order, and are not counted; gas neither)."""
    limit = int(max_spend * WEI)
    over = {t: int(v) for t, v in totals.items() if t not in datatokens and t != NATIVE and int(v) > limit}
    if over:
        said = ", ".join(token_amount_text(v, t, symbols) for t, v in over.items())
        raise SpendLimitExceeded(f"the run would spend {said}, above --max-spend {max_spend:f}; nothing was paid")


def named_inputs(dataset: Any, additional: Any, algorithm: Any) -> list[tuple[str, Any]]:
    """[(input name, input)] in initializeCompute's order: "dataset", "additional.N", "algorithm" (pure)."""
    names = [("dataset", dataset), *((f"additional.{i}", a) for i, a in enumerate(additional))]
    return names + ([("algorithm", algorithm)] if algorithm is not None else [])


def input_names(job: Any) -> list[tuple[str, Any]]:
    """[(input name, ComputeInput)] of a resolved job, in initializeCompute's order."""
    return named_inputs(job.dataset, job.additional, job.algorithm)


def node_order_inputs(job: Any) -> list[tuple[str, Any]]:
    """input_names of a paid Ocean Node job with its datasets as the payer orders them (the
    ComputeInput of their DDO service; None for a URL dataset, which takes no order)."""
    return [(name, getattr(item, "compute_input", item)) for name, item in input_names(job)]


def shared_costs(jobs: list[Any], costs: list[dict[str, Any] | None], running: int) -> list[dict[str, Any] | None]:
    """The jobs' costs when a run shares its orders on the Provider protocol (pure): an input's order
    is paid by its first job only, the dataset's by its first `running` jobs (each job running at once
    starts with one of its own as its agreementId); the others' orders read "shared" and leave the
    totals. Gas stays counted per job, an upper bound."""
    seen: dict[tuple, int] = {}
    out = []
    for job, cost in zip(jobs, costs):
        if cost is None or job.node_start is not None:
            out.append(cost)
            continue
        totals = {t: int(v) for t, v in cost["totals"].items()}
        orders = []
        for order, (name, item) in zip(cost["orders"], input_names(job)):
            key = (name == "dataset", job.provider, item.did, item.service_id, job.environment.id)
            seen[key] = seen.get(key, 0) + 1
            if order["how"] != "validOrder" and seen[key] > (running if name == "dataset" else 1):
                if order["how"] == "startOrder":
                    totals[order["datatoken"]] -= WEI
                if order["fee_token"] and int(order["fee_amount"]) and order["fee_token"].lower() != ZERO_ADDRESS:
                    totals[order["fee_token"]] -= int(order["fee_amount"])
                order = {**order, "how": "shared"}
            orders.append(order)
        out.append({**cost, "orders": orders, "totals": {t: str(v) for t, v in totals.items()}})
    return out


def with_escrow(costs: dict[str, Any], payment: Any, steps: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The costs plus what an Ocean Node will lock in its Escrow at start (an EscrowPayment), in the
    totals, and the Escrow transactions still needed (`steps`, when known) (pure).

    The lock is the compute price for the whole maxJobDuration (the node claims what the job used
    and the rest stays the payer's), so it is what the run may spend at most.
    """
    totals = dict(costs["totals"])
    totals[payment.token] = str(int(totals.get(payment.token, 0)) + payment.amount)
    escrow = {"escrow": payment.escrow_address, "payee": payment.payee, "token": payment.token,
              "amount": str(payment.amount), "minLockSeconds": payment.min_lock_seconds}
    if steps is not None:
        escrow["transactions"] = list(steps)
    return {**costs, "escrow": escrow, "totals": totals,
            "transactions": costs["transactions"] + len(steps or ())}


def job_costs(job: Any, compute: Any, wallet: Any, payer: Any = None) -> dict[str, Any] | None:
    """Ask the provider (initializeCompute, unsigned, nothing paid) what `job` will cost; with a
    `payer`, its orders' gas too (estimated on the chain, nothing sent). None for a free Ocean Node
    job (nothing to pay)."""
    start = job.node_start
    if start is not None:
        if start.choice.free:
            return None
        node = compute.nodes.for_url(job.provider)
        init = node.initialize(wallet.address, start.choice, start.algorithm, start.datasets)
        inputs = node_order_inputs(job)
        if payer is None:
            return with_escrow(order_costs(init, inputs), init.payment)
        steps, gas = payer.escrow_gas(init.payment)
        return _with_gas(with_escrow(order_costs(init, inputs), init.payment, steps), init, inputs, payer, gas)
    init = compute.initialize(wallet, job.dataset, job.environment.id, job.algorithm, job.algorithm_meta,
                              job.additional)
    inputs = input_names(job)
    return _with_gas(order_costs(init, inputs), init, inputs, payer)


def _with_gas(costs: dict[str, Any], init: Any, inputs: list[tuple[str, Any]], payer: Any,
              escrow_gas: Any = None) -> dict[str, Any]:
    """With a payer, the orders' gas (and the Escrow's, a GasEstimate) added to `costs` (estimated on
    the chain, nothing sent)."""
    if payer is not None:
        gas = [payer.order_gas(item, compute_input) for (_, compute_input), item in order_items(init, inputs)]
        costs["gas"] = gas_costs(gas + ([escrow_gas] if escrow_gas is not None else []), payer.gas_price())
    return costs


def wallet_needs(costs: list[dict[str, Any]]) -> tuple[dict[str, int], int]:
    """What the paying account itself must hold for these jobs' costs: (wei by token: datatokens and
    provider fees, without what an Ocean Node locks in its Escrow, which funds there may already
    cover; wei of the native coin for gas) (pure)."""
    tokens: dict[str, int] = {}
    gas = 0
    for cost in costs:
        for token, amount in cost["totals"].items():
            tokens[token] = tokens.get(token, 0) + int(amount)
        if "escrow" in cost:
            tokens[cost["escrow"]["token"]] -= int(cost["escrow"]["amount"])
        gas += int(cost.get("gas", {}).get("cost", 0))
    return {t: v for t, v in tokens.items() if v > 0}, gas


def unpayable(jobs: list[Any]) -> list[str]:
    """Why paid Ocean Node jobs cannot run on a target with no chain to pay on (one line each)."""
    return [f"{job.plan.name}: environment {job.environment.id} is paid; paying on an Ocean Node needs a chain "
            "(a target with `chain: true`, or an RPC URL)" for job in jobs
            if job.node_start is not None and not job.node_start.choice.free]


__all__ = ["NATIVE", "SpendLimitExceeded", "order_items", "order_costs", "gas_costs", "gas_text", "token_amount_text",
           "spend_text", "add_totals", "check_spend", "named_inputs", "input_names", "node_order_inputs",
           "shared_costs", "with_escrow", "job_costs",
           "wallet_needs", "unpayable"]
