"""A client speaking ocean.js 3.x's habits: JSON bodies on PUT/DELETE, v = 27/28, string nonces,
one discovery GET, no ?chainId, Content-Type json on GETs."""
from __future__ import annotations

import requests
from eth_account import Account

from c2d_runner import wire
from tests.mock.helpers import sleeper_meta


def sign_v27(account, message: str, nonce: str) -> str:
    sig = bytes.fromhex(wire.sign_request(account, message, nonce)[2:])
    v = sig[64] if sig[64] >= 27 else sig[64] + 27  # ethers' form
    return "0x" + (sig[:64] + bytes([v])).hex()


def test_oceanjs_style_flow(mock, dids):
    acct = Account.from_key(wire.TEST_CONSUMER_KEY)
    me = acct.address
    http = requests.Session()
    http.headers["Content-Type"] = "application/json"
    endpoints = http.get(mock.url).json()["serviceEndpoints"]
    path = {name: mock.url + p for name, (_, p) in endpoints.items()}
    envs = http.get(path["computeEnvironments"]).json()[str(mock.chain_id)]
    free = next(e for e in envs if e["priceMin"] == 0)

    def nonce() -> str:
        return str(int(http.get(path["nonce"], params={"userAddress": me}).json()["nonce"]) + 1)

    init = http.post(path["initializeCompute"], json={
        "datasets": [{"documentId": dids["iris"], "serviceId": "compute"}],
        "algorithm": {"meta": sleeper_meta(30)},
        "compute": {"env": free["id"], "validUntil": 2**31 - 1}, "consumerAddress": me}).json()
    n = nonce()
    sig = sign_v27(acct, me + dids["iris"], n)
    assert sig[-2:] in ("1b", "1c")
    r = http.post(path["computeStart"], json={
        "dataset": {"documentId": dids["iris"], "serviceId": "compute", "transferTxId": init["datasets"][0]["validOrder"]},
        "algorithm": {"meta": sleeper_meta(30)}, "environment": free["id"],
        "consumerAddress": me, "nonce": n, "signature": sig})
    assert r.status_code == 200, r.text
    job_id = r.json()[0]["jobId"]
    # status: unsigned, with agreementId stripped of 0x (ignored, as by the Provider)
    st = http.get(path["computeStatus"], params={"consumerAddress": me, "jobId": job_id,
                                                  "agreementId": init["datasets"][0]["validOrder"][2:]})
    assert st.status_code == 200 and st.json()[0]["jobId"] == job_id
    # stop with a JSON body (PUT has no query string), ocean.js <= 3.3.0 signature
    n = nonce()
    r = http.put(path["computeStop"], json={"consumerAddress": me, "jobId": job_id, "documentId": dids["iris"],
                                            "nonce": n, "signature": sign_v27(acct, me + job_id + dids["iris"], n)})
    assert r.status_code == 200 and r.json()[0]["stopreq"] == 1, r.text
    # ocean.js >= 3.3.3 signs consumerAddress + jobId without the nonce: the Python Provider refuses it
    r = http.put(path["computeStop"], json={"consumerAddress": me, "jobId": job_id, "nonce": nonce(),
                                            "signature": sign_v27(acct, me + job_id, "")})
    assert r.status_code == 400 and "Invalid signature" in r.json()["errors"]["signature"]
    # its delete sends no nonce: "The nonce field is required."
    r = http.delete(path["computeDelete"], json={"consumerAddress": me, "jobId": job_id,
                                                  "signature": sign_v27(acct, me + job_id, "1")})
    assert r.status_code == 400 and r.json()["errors"] == {"nonce": ["The nonce field is required."]}
    n = nonce()
    r = http.delete(path["computeDelete"], json={"consumerAddress": me, "jobId": job_id, "documentId": dids["iris"],
                                                  "nonce": n, "signature": sign_v27(acct, me + job_id + dids["iris"], n)})
    assert r.status_code == 200 and r.json() == ""
    import time

    # wait, then download result 0 with a plain signed URL (query string, raw ':' left unencoded)
    for _ in range(200):
        job = http.get(path["computeStatus"], params={"consumerAddress": me, "jobId": job_id}).json()[0]
        if job["status"] == 70:
            break
        time.sleep(0.05)
    n = nonce()
    url = (f"{path['computeResult']}?consumerAddress={me}&jobId={job_id}&index=0&nonce={n}"
           f"&signature={sign_v27(acct, me + job_id + '0', n)}")
    r = http.get(url)
    assert r.status_code == 200 and r.headers["Content-Disposition"] == "attachment;filename=algorithm.log"
    assert [x["type"] for x in job["results"]] == ["algorithmLog", "configrationLog"] and job["stopreq"] == 1
