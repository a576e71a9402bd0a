"""ocean-lib 3.1.2's own paid compute flow against a mock on the local chain (`c2d mock serve --chain`).

Run by tests/mock/test_oceanpy_client.py with ocean-lib's own (Python 3.10) virtualenv:
    python driver_paid.py URL PRIVATE_KEY RPC_URL ADDRESS_FILE DATASET_DID ALGORITHM_DID ENV_ID
ocean-lib reaches the chain over its JSON-RPC URL and the contracts through ADDRESS_FILE, pays with
`pay_for_compute_service` (startOrder with the provider's fee), starts the job, then asks
initializeCompute again with its orders (reused: nothing paid twice). Prints one RESULT line.
"""
import json
import os
import sys
import time

url, key, rpc, address_file, dataset_did, algorithm_did, env_id = sys.argv[1:8]
os.environ["ADDRESS_FILE"] = address_file

from eth_account import Account  # noqa: E402
from ocean_lib.data_provider.data_service_provider import DataServiceProvider as DSP  # noqa: E402
from ocean_lib.example_config import get_config_dict  # noqa: E402
from ocean_lib.models.compute_input import ComputeInput  # noqa: E402
from ocean_lib.ocean.ocean import Ocean  # noqa: E402

config = get_config_dict(rpc)
# barge's private defaults for 8996 must never be touched: everything is the mock on loopback.
config["METADATA_CACHE_URI"] = url
config["PROVIDER_URL"] = url
ocean = Ocean(config)
wallet = Account.from_key(key)
out = {"chain_id": config["CHAIN_ID"], "network": config["NETWORK_NAME"]}

ddo = ocean.assets.resolve(dataset_did)
algo_ddo = ocean.assets.resolve(algorithm_did)
service = next(s for s in ddo.services if s.type == "compute")
algo_service = algo_ddo.services[0]
env = next(e for e in ocean.compute.get_c2d_environments(service.service_endpoint, 8996) if e["id"] == env_id)
ocean_token = ocean.OCEAN_token
before = ocean_token.balanceOf(wallet.address)

datasets, algorithm = ocean.assets.pay_for_compute_service(
    datasets=[ComputeInput(ddo, service)], algorithm_data=ComputeInput(algo_ddo, algo_service),
    compute_environment=env["id"], valid_until=int(time.time()) + 3600,
    consume_market_order_fee_address=wallet.address, tx_dict={"from": wallet},
    consumer_address=env["consumerAddress"])
out["orders"] = [datasets[0].transfer_tx_id, algorithm.transfer_tx_id]
out["ocean_paid"] = before - ocean_token.balanceOf(wallet.address)
out["order_logs"] = len(ocean.get_datatoken(service.datatoken).get_start_order_logs(env["consumerAddress"]))

job_id = ocean.compute.start(wallet, datasets[0], env["id"], algorithm)
deadline = time.time() + 60
while True:
    status = ocean.compute.status(ddo, service, job_id, wallet)
    if status["status"] in (31, 32, 70) or time.time() > deadline:
        break
    time.sleep(0.1)
out["status"] = status["status"]
out["output"] = json.loads(ocean.compute.result(ddo, service, job_id, 0, wallet))

# Asked again with its orders, the provider says they are still valid: ocean-lib pays nothing more.
again = DSP.initialize_compute([datasets[0].as_dictionary()], algorithm.as_dictionary(), service.service_endpoint,
                               env["consumerAddress"], env["id"], int(time.time()) + 3600).json()
out["reinitialize"] = [again["datasets"][0], again["algorithm"]]
print("RESULT " + json.dumps(out, default=str))
