"""What a paid job will cost, before anything is paid: from initializeCompute's answer (pure), and
`--max-spend`'s check of a whole run against it.

Per input the provider asks an order for: one datatoken (`startOrder` takes exactly 1) and the
provider fee (an amount in a fee token, usually OCEAN); an order the provider still accepts costs
nothing, one whose fee ran out costs a fresh fee (`reuseOrder`). Gas is not priced: the estimate
counts the transactions (an approve comes before each order whose fee is above zero).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from c2d_runner.errors import InvalidInput

WEI = 10**18  # OCEAN and Ocean's datatokens have 18 decimals
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class SpendLimitExceeded(InvalidInput):
    """The run's estimated spend is above --max-spend; nothing was started or paid."""


def order_costs(init: Any, inputs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The costs of one job from its InitializeResult and [(input name, ComputeInput)] in init's order (pure)."""
    items = list(zip(inputs, [*init.datasets, *([init.algorithm] if init.algorithm is not None else [])]))
    orders, totals, transactions = [], {}, 0
    for (name, compute_input), item in items:
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


def add_totals(costs: list[dict[str, Any]]) -> dict[str, str]:
    """Totals per token (wei, as strings) over several jobs' costs."""
    out: dict[str, int] = {}
    for cost in costs:
        for token, amount in cost["totals"].items():
            out[token] = out.get(token, 0) + int(amount)
    return {t: str(v) for t, v in out.items()}


def check_spend(totals: dict[str, str], max_spend: Decimal, datatokens: set[str]) -> None:
    """Raise SpendLimitExceeded when any fee token's total is above `max_spend` (whole tokens; datatokens
    are the assets' price, one per order, and are not counted)."""
    limit = int(max_spend * WEI)
    over = {t: int(v) for t, v in totals.items() if t not in datatokens and int(v) > limit}
    if over:
        said = ", ".join(f"{Decimal(v) / WEI:f} of token {t}" for t, v in over.items())
        raise SpendLimitExceeded(f"the run would spend {said}, above --max-spend {max_spend:f}; nothing was paid")


def input_names(job: Any) -> list[tuple[str, Any]]:
    """[(input name, ComputeInput)] of a resolved job, in initializeCompute's order."""
    names = [("dataset", job.dataset), *((f"additional.{i}", a) for i, a in enumerate(job.additional))]
    return names + ([("algorithm", job.algorithm)] if job.algorithm is not None else [])


def job_costs(job: Any, compute: Any, wallet: Any) -> dict[str, Any]:
    """Ask the provider (initializeCompute, unsigned, nothing paid) what `job` will cost."""
    init = compute.initialize(wallet, job.dataset, job.environment.id, job.algorithm, job.algorithm_meta,
                              job.additional)
    return order_costs(init, input_names(job))


__all__ = ["SpendLimitExceeded", "order_costs", "add_totals", "check_spend", "input_names", "job_costs"]
