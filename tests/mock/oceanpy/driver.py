"""Run the whole C2D flow with ocean-lib 3.1.2's own client against a mock Ocean.

Run by tests/mock/test_oceanpy_client.py with ocean-lib's own (Python 3.10) virtualenv:
    python driver.py URL PRIVATE_KEY DATASET_DID ALGORITHM_DID
Prints one JSON object with what it saw; any failure raises (non-zero exit).
"""
import json
import sys
import time

from eth_account import Account
from ocean_lib.aquarius.aquarius import Aquarius
from ocean_lib.data_provider.data_service_provider import DataServiceProvider as DSP
from ocean_lib.models.compute_input import ComputeInput
from ocean_lib.structures.algorithm_metadata import AlgorithmMetadata

url, key, dataset_did, algorithm_did = sys.argv[1:5]
wallet = Account.from_key(key)
out = {}

aquarius = Aquarius.get_instance(url)
ddo = aquarius.get_ddo(dataset_did)
algo_ddo = aquarius.get_ddo(algorithm_did)
out["ddo_ids"] = [ddo.did, algo_ddo.did]
out["query_hits"] = len(aquarius.query_search({"query": {"term": {"metadata.type": "algorithm"}}}))
service = next(s for s in ddo.services if s.type == "compute")
algo_service = algo_ddo.services[0]

envs = DSP.get_c2d_environments(service.service_endpoint, ddo.chain_id)
free = next(e for e in envs if float(e["priceMin"]) == 0)
out["env"] = free["id"]
out["fileinfo_ok"] = DSP.check_asset_file_info(ddo.did, service.id, service.service_endpoint)

valid_until = int(time.time()) + 3600
init = DSP.initialize_compute(
    [ComputeInput(ddo, service).as_dictionary()], ComputeInput(algo_ddo, algo_service).as_dictionary(),
    service.service_endpoint, free["consumerAddress"], free["id"], valid_until).json()
out["initialize_keys"] = sorted(init)
dataset_order = init["datasets"][0]["validOrder"]
algo_order = init["algorithm"]["validOrder"]

job = DSP.start_compute_job(
    service, wallet, ComputeInput(ddo, service, dataset_order), free["id"],
    ComputeInput(algo_ddo, algo_service, algo_order), algorithm_custom_data={"precision": 2})
job_id = job["jobId"]
deadline = time.time() + 60
while True:
    status = DSP.compute_job_status(ddo.did, job_id, service, wallet)
    if status["status"] in (31, 32, 70) or time.time() > deadline:
        break
    time.sleep(0.1)
out["status"] = status["status"]
out["statusText"] = status["statusText"]
out["result_types"] = [r["type"] for r in status["results"]]
out["output"] = json.loads(DSP.compute_job_result(job_id, 0, service, wallet))
out["algorithm_log"] = DSP.compute_job_result_logs(ddo, job_id, service, wallet, "algorithmLog")[0].decode()
out["outputs_via_logs"] = len(DSP.compute_job_result_logs(ddo, job_id, service, wallet))

# A raw algorithm that sleeps, stopped through ocean.py's stop (PUT with a query string).
meta = AlgorithmMetadata({
    "rawcode": "import time\nprint('sleeping', flush=True)\ntime.sleep(30)\n", "language": "python", "version": "0.1",
    "container": {"entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": "sha256:" + "0" * 64}})
init = DSP.initialize_compute([ComputeInput(ddo, service).as_dictionary()], meta.as_dictionary(),
                              service.service_endpoint, free["consumerAddress"], free["id"], valid_until).json()
job2 = DSP.start_compute_job(service, wallet, ComputeInput(ddo, service, init["datasets"][0]["validOrder"]),
                             free["id"], algorithm_meta=meta)
stopped = DSP.stop_compute_job(ddo.did, job2["jobId"], service, wallet)
out["stopreq"] = stopped["stopreq"]
while True:
    status = DSP.compute_job_status(ddo.did, job2["jobId"], service, wallet)
    if status["status"] in (31, 32, 70) or time.time() > deadline:
        break
    time.sleep(0.1)
out["stopped_status"] = [status["status"], status["stopreq"], status["algoDID"]]
print("RESULT " + json.dumps(out))
