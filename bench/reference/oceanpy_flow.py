"""One compute job with ocean-lib 3.1.2's own client, the flow of ocean.py's C2D README.

Run by bench/bench_client_flow.py with ocean-lib's own (Python 3.10) virtualenv, the one the test
suite caches (~/.cache/c2d-runner/oceanlib-3.1.2-py3.10):
    python oceanpy_flow.py URL PRIVATE_KEY DATASET_DID ALGORITHM_DID POLL_SECONDS
Prints `POLLS <n>`: the status requests it made while waiting (the rest of the count is the flow's).
"""
import sys
import time

from eth_account import Account
from ocean_lib.aquarius.aquarius import Aquarius
from ocean_lib.data_provider.data_service_provider import DataServiceProvider as DSP
from ocean_lib.models.compute_input import ComputeInput

url, key, dataset_did, algorithm_did, poll = sys.argv[1:6]
wallet = Account.from_key(key)
aquarius = Aquarius.get_instance(url)
ddo = aquarius.get_ddo(dataset_did)
algo_ddo = aquarius.get_ddo(algorithm_did)
service = next(s for s in ddo.services if s.type == "compute")
algo_service = algo_ddo.services[0]

envs = DSP.get_c2d_environments(service.service_endpoint, ddo.chain_id)
free = next(e for e in envs if float(e["priceMin"]) == 0)
init = DSP.initialize_compute(
    [ComputeInput(ddo, service).as_dictionary()], ComputeInput(algo_ddo, algo_service).as_dictionary(),
    service.service_endpoint, free["consumerAddress"], free["id"], int(time.time()) + 3600).json()
job = DSP.start_compute_job(
    service, wallet, ComputeInput(ddo, service, init["datasets"][0]["validOrder"]), free["id"],
    ComputeInput(algo_ddo, algo_service, init["algorithm"]["validOrder"]), algorithm_custom_data={"precision": 2})
polls = 0
while True:
    polls += 1
    status = DSP.compute_job_status(ddo.did, job["jobId"], service, wallet)
    if status["status"] in (31, 32, 70):
        break
    time.sleep(float(poll))
assert status["status"] == 70, status
DSP.compute_job_result(job["jobId"], 0, service, wallet)
DSP.compute_job_result_logs(ddo, job["jobId"], service, wallet)
DSP.stop_compute_job(ddo.did, job["jobId"], service, wallet)
print(f"POLLS {polls}")
