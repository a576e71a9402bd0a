// ocean.js 8.x's free-compute flow, unchanged, against a node at NODE_URL; prints one `RESULT {json}` line.
// Usage: node driver.mjs NODE_URL PRIVATE_KEY DATASET_DID   (run from a folder whose node_modules has
// @oceanprotocol/lib 8.6.2; the test copies this file there).
import { ProviderInstance } from '@oceanprotocol/lib'
import { ethers } from 'ethers'

const [NODE, KEY, DATASET] = process.argv.slice(2)
const signer = new ethers.Wallet(KEY)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const out = {}

async function waitFor (jobId, done) {
  for (let i = 0; i < 1200; i++) { // bounded: 1200 * 50 ms = 60 s
    const [job] = await ProviderInstance.computeStatus(NODE, signer, jobId)
    if (done(job)) return job
    await sleep(50)
  }
  throw new Error(`job ${jobId} did not get there`)
}

async function bytesOf (iterable) {
  const chunks = []
  for await (const c of iterable) chunks.push(Buffer.from(c))
  return Buffer.concat(chunks)
}

const envs = await ProviderInstance.getComputeEnvironments(NODE)
const env = envs.find((e) => e.free)
out.env = env.id
out.freeMaxJobs = env.free.maxJobs

const code = [
  'import json, os, sys, time',
  "custom = json.load(open('/data/inputs/algoCustomData.json'))",
  "print('inputs', sorted(os.listdir('/data/inputs')), flush=True)",
  "time.sleep(float(custom.get('sleep', 0)))",
  "json.dump({'custom': custom, 'env': os.environ.get('MY_ENV_VAR')}, open('/data/outputs/result.json', 'w'))",
  "print('to stderr', file=sys.stderr)"
].join('\n')
const algorithm = {
  meta: { rawcode: code, container: { image: 'python', tag: '3.11', entrypoint: 'python $ALGO', checksum: '' } },
  algocustomdata: { greeting: 'hello', n: 42, sleep: 1.5 },
  envs: { MY_ENV_VAR: 'my-value' }
}
const datasets = [{ documentId: DATASET, serviceId: 'compute' }]
const resources = [{ id: 'cpu', amount: 1 }, { id: 'ram', amount: 1 }, { id: 'disk', amount: 1 }]

const started = await ProviderInstance.freeComputeStart(NODE, signer, env.id, datasets, algorithm, resources,
  { purpose: 'ocean.js check' })
const jobId = started[0].jobId
out.startStatus = started[0].status
out.prefixed = jobId.startsWith(env.id.split('-')[0] + '-')

const running = await waitFor(jobId, (j) => j.status === 40 || j.dateFinished)
out.runningResults = running.status === 40 ? running.results.map((r) => r.filename) : null
if (running.status === 40) {
  const logs = await ProviderInstance.computeStreamableLogs(NODE, signer, jobId)
  out.streamedBytes = (await bytesOf(logs)).length
}
const job = await waitFor(jobId, (j) => j.dateFinished && [70, 71].includes(j.status))
out.status = job.status
out.exitCode = job.terminationDetails.exitCode
out.resultTypes = job.results.map((r) => r.type)
out.rawJobId = job.jobId

const output = job.results.find((r) => r.type === 'output')
const url = await ProviderInstance.getComputeResultUrl(NODE, signer, jobId, output.index)
const tar = Buffer.from(await (await fetch(url)).arrayBuffer())
out.tarBytes = tar.length
out.tarHasResult = tar.includes(Buffer.from('outputs/result.json'))
const replay = await fetch(url)
out.replay = [replay.status, await replay.text()]
const log = job.results.find((r) => r.type === 'algorithmLog')
const framed = await bytesOf(await ProviderInstance.getComputeResult(NODE, signer, jobId, log.index))
out.logFirstStream = framed[0]
out.logText = framed.toString('latin1')

// a second job, stopped while it runs
const second = await ProviderInstance.freeComputeStart(NODE, signer, env.id, [], {
  ...algorithm, algocustomdata: { sleep: 60 }
})
await waitFor(second[0].jobId, (j) => j.status === 40)
const stopped = await ProviderInstance.computeStop(second[0].jobId, NODE, signer)
out.stopRequested = stopped[0].stopRequested
const end = await waitFor(second[0].jobId, (j) => j.dateFinished)
out.stoppedEnd = [end.status, end.terminationDetails.exitCode]

console.log('RESULT ' + JSON.stringify(out))
