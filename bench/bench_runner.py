"""Benchmark the runner: cold hello run vs the bare algorithm, per-job overhead, jobs/s, memory.

Prints (medians; figures depend on the machine, ratios travel better):
  1. `c2d run specs/hello.yaml` as a cold process, next to running the same wordcount algorithm
     directly with python on the same input files, and their ratio;
  2. per-job cost at --jobs 4, downloads included: the wall time of a run of 2N trivial jobs minus
     that of N jobs, over N (fixed costs cancel out), next to the same algorithm run directly; the
     two runs and the direct runs are interleaved, medians over --rounds;
  3. jobs per second at --jobs 1, 2, 4 and 8 on one running mock;
  4. peak memory (max RSS) of the one `c2d run` process downloading a 1 GiB result (its own
     rusage from wait4, not the maximum over every child this benchmark ever ran).
Run: python bench/bench_runner.py [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORLD = ROOT / "mockprovider" / "worlds" / "default"
IRIS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
CORPUS = "did:op:f6c1c1baee952b2601f14cea2718d0892944c466e5d3fa37b757e3e7a9cf6b4c"
CHECKSUM = "sha256:" + "0" * 64
TRIVIAL = "import os\nopen(os.path.join(os.environ['OUTPUTS'], 'ok.txt'), 'w').write('ok')\n"
C2D = [sys.executable, "-m", "c2d_runner.cli"]


def median_time(cmd: list[str], runs: int, **kwargs) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def direct_layout(tmp: Path, did: str, files: list[Path]) -> dict:
    """The v1 /data layout in a plain folder, and the environment an algorithm reads."""
    inputs = tmp / "inputs" / did.removeprefix("did:op:")
    inputs.mkdir(parents=True)
    for i, f in enumerate(files):
        shutil.copy(f, inputs / str(i))
    (tmp / "outputs").mkdir()
    (tmp / "logs").mkdir()
    (tmp / "inputs" / "algoCustomData.json").write_text("{}")
    return {**os.environ, "INPUTS": str(tmp / "inputs"), "OUTPUTS": str(tmp / "outputs"),
            "LOGS": str(tmp / "logs"), "DIDS": json.dumps([did.removeprefix("did:op:")])}


def raw_spec(path: Path, name: str, count: int, code: str, header: str = "") -> Path:
    """A spec of `count` jobs running `code` as a raw algorithm on iris; `header` adds top-level lines."""
    body = "\n".join("            " + line for line in code.splitlines())
    values = ", ".join(str(i) for i in range(count))
    path.write_text(f"""version: 1
name: {name}
{header}jobs:
  job:
    dataset: {{did: "{IRIS}"}}
    algorithm:
      raw:
        code: |
{body}
        container: {{entrypoint: python $ALGO, image: python, tag: "3.11", checksum: "{CHECKSUM}"}}
    algocustomdata: {{n: 0}}
    matrix: {{algocustomdata.n: [{values}]}}
""")
    return path


def hello_vs_direct(runs: int, baseline: str | None = None) -> dict:
    """Cold `c2d run specs/hello.yaml` and the bare wordcount algorithm, run alternately (and the
    same cold run with `baseline`, another checkout's python, when given)."""
    cold, direct, base = [], [], []
    hello = ["-m", "c2d_runner.cli", "run", str(ROOT / "specs" / "hello.yaml"), "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            cold.append(median_time([sys.executable, *hello], 1, cwd=tmp))
            folder = Path(tmp) / f"direct{i}"
            env = direct_layout(folder, CORPUS, [WORLD / "data" / "gettysburg.txt", WORLD / "data" / "sonnets.txt"])
            direct.append(median_time([sys.executable, str(WORLD / "algorithms" / "wordcount.py")], 1, env=env))
            if baseline:
                base.append(median_time([baseline, *hello], 1, cwd=tmp))
    c, d = statistics.median(cold), statistics.median(direct)
    print(f"1. hello spec, cold `c2d run`     : {c * 1000:7.0f} ms")
    print(f"   wordcount run directly (python) : {d * 1000:7.0f} ms   ratio {c / d:.1f}x")
    out = {"cold_hello_ms": c * 1000, "bare_algorithm_ms": d * 1000, "ratio": c / d}
    if base:
        b = statistics.median(base)
        print(f"   baseline checkout, cold         : {b * 1000:7.0f} ms   this one {c / b:.2f}x of it")
        out["baseline_ms"] = b * 1000
    return out


def run_on(mock, spec: Path, jobs: int, out: Path):
    from c2d_runner.connect import Endpoint, run_spec
    from c2d_runner.engine.runner import RunOptions
    from c2d_runner.report import ConsoleProgress
    from c2d_runner.spec import load_spec

    endpoint = Endpoint(mock.url, mock.url, mock.chain_id, "bench mock", embedded_mock=True)
    start = time.perf_counter()
    run = run_spec(load_spec(spec), RunOptions(jobs=jobs, out=out),
                   ConsoleProgress(mode="quiet", stream=open(os.devnull, "w")), endpoint=endpoint)
    assert run.ok, [j.error or j.failed_expectations for j in run.jobs if j.outcome != "passed"]
    return run, time.perf_counter() - start


def per_job_cost(jobs: int, rounds: int, parallel: int = 4) -> dict:
    """Marginal wall time per job at --jobs `parallel`, downloads included, beside the bare algorithm."""
    from mockprovider import MockOcean

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "algo.py").write_text(TRIVIAL)
        env = direct_layout(tmp / "direct", IRIS, [WORLD / "data" / "iris.csv"])
        small = raw_spec(tmp / "small.yaml", "small", jobs, TRIVIAL)
        large = raw_spec(tmp / "large.yaml", "large", 2 * jobs, TRIVIAL)
        marginal, own, cpu, own_cpu = [], [], [], []
        with MockOcean(state_dir=tmp / "state") as mock:
            run_on(mock, small, parallel, tmp / "runs")  # warm-up: imports, first sandbox
            for _ in range(rounds):
                c_small, (_, t_small) = cpu_of(run_on, mock, small, parallel, tmp / "runs")
                c_own, wall_own = cpu_of(median_time, [sys.executable, str(tmp / "algo.py")], 3, env=env)
                own.append(wall_own)
                own_cpu.append(c_own / 3)
                c_large, (_, t_large) = cpu_of(run_on, mock, large, parallel, tmp / "runs")
                marginal.append((t_large - t_small) / jobs)
                cpu.append((c_large - c_small) / jobs)
    cost, alone, cpu_job = statistics.median(marginal), statistics.median(own), statistics.median(cpu)
    print(f"2. per-job cost at --jobs {parallel} (2x{jobs} minus {jobs} trivial jobs, downloads included): "
          f"{cost * 1000:.0f} ms; the algorithm alone {alone * 1000:.0f} ms; overhead {(cost - alone) * 1000:.0f} ms")
    alone_cpu = statistics.median(own_cpu)
    print(f"   CPU per job (runner, mock and algorithm, all threads and children): {cpu_job * 1000:.0f} ms; "
          f"the algorithm alone {alone_cpu * 1000:.0f} ms; overhead {(cpu_job - alone_cpu) * 1000:.0f} ms")
    return {"per_job_ms": cost * 1000, "algorithm_ms": alone * 1000, "overhead_ms": (cost - alone) * 1000,
            "cpu_per_job_ms": cpu_job * 1000, "cpu_algorithm_ms": alone_cpu * 1000}


def cpu_of(call, *args, **kwargs):
    """(CPU seconds of this process and its reaped children during `call(...)`, its result)."""
    def now() -> float:
        me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    before = now()
    result = call(*args, **kwargs)
    return now() - before, result


def throughput(throughput_jobs: int) -> None:
    from mockprovider import MockOcean

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with MockOcean(state_dir=tmp / "state") as mock:
            spec = raw_spec(tmp / "tput.yaml", "tput", throughput_jobs, TRIVIAL)
            base = None
            for jobs in (1, 2, 4, 8):
                _, seconds = run_on(mock, spec, jobs, tmp / "runs")
                rate = throughput_jobs / seconds
                base = base or rate
                print(f"3. --jobs {jobs}: {rate:5.1f} jobs/s ({throughput_jobs} jobs in {seconds:.1f} s, "
                      f"{rate / base:.1f}x --jobs 1)")


def big_result_memory(size: int) -> None:
    code = (f"import os\nchunk = b'x' * (1 << 20)\nwith open(os.path.join(os.environ['OUTPUTS'], 'big.bin'), 'wb') as f:\n"
            f"    for _ in range({size >> 20}):\n        f.write(chunk)\n")
    with tempfile.TemporaryDirectory() as tmp:
        spec = raw_spec(Path(tmp) / "big.yaml", "big", 1, code)
        spec.write_text(spec.read_text().replace("    matrix: {algocustomdata.n: [0]}\n", "    timeout: 10m\n"))
        start = time.perf_counter()
        child = subprocess.Popen(C2D + ["run", str(spec), "-q"], cwd=tmp, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)  # this process's own peak, not any earlier child's
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if child.returncode:
            raise SystemExit(f"c2d run exited {child.returncode}")
        [out] = Path(tmp).glob("runs/big/*/job/outputs/big.bin")
        got = out.stat().st_size
    print(f"4. {size / 2**30:.2f} GiB result: peak RSS of the `c2d run` process (runner + embedded mock) "
          f"{usage.ru_maxrss / 1024:.0f} MiB; downloaded {got / 2**20:.0f} MiB in {seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and jobs, a 64 MiB result")
    args = parser.parse_args()
    hello_vs_direct(3 if args.quick else 5)
    per_job_cost(8 if args.quick else 20, 3 if args.quick else 5)
    throughput(16 if args.quick else 40)
    big_result_memory((64 << 20) if args.quick else (1 << 30))


if __name__ == "__main__":
    main()
