// One free compute job with ocean.js 8.6.2's own ProviderInstance against an Ocean Node at NODE_URL:
// environments, free start, status polls until the job is over, every result downloaded.
// Usage: node oceanjs_flow.mjs NODE_URL PRIVATE_KEY DATASET_DID POLL_MS   (run from a folder whose
// node_modules has @oceanprotocol/lib 8.6.2: bench/bench_client_flow.py copies it to the test cache).
// Prints `POLLS <n>`: the status requests made while waiting.
import { ProviderInstance } from '@oceanprotocol/lib'
import { ethers } from 'ethers'

const [NODE, KEY, DATASET, POLL_MS] = process.argv.slice(2)
const signer = new ethers.Wallet(KEY)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const envs = await ProviderInstance.getComputeEnvironments(NODE)
const env = envs.find((e) => e.free)
const algorithm = {
  meta: {
    rawcode: "import os\nopen('/data/outputs/ok.txt', 'w').write('ok')\n",
    container: { image: 'python', tag: '3.11', entrypoint: 'python $ALGO', checksum: '' }
  }
}
const resources = [{ id: 'cpu', amount: 1 }, { id: 'ram', amount: 1 }, { id: 'disk', amount: 1 }]
const started = await ProviderInstance.freeComputeStart(NODE, signer, env.id,
  [{ documentId: DATASET, serviceId: 'compute' }], algorithm, resources)
const jobId = started[0].jobId
let polls = 0
let job
for (;;) {
  polls++
  ;[job] = await ProviderInstance.computeStatus(NODE, signer, jobId)
  if (job.dateFinished && [70, 71].includes(job.status)) break
  if (polls > 2000) throw new Error('job did not finish')
  await sleep(Number(POLL_MS))
}
for (const result of job.results) {
  const url = await ProviderInstance.getComputeResultUrl(NODE, signer, jobId, result.index)
  await (await fetch(url)).arrayBuffer()
}
console.log(`POLLS ${polls}`)
