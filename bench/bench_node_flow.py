"""Benchmark one free job on an Ocean Node: requests and wall time, next to ocean.js 8.x's flow;
and ten concurrent jobs on one node staying under its 30 requests a minute.

Prints:
  1. one free job (URL dataset, raw algorithm; start, poll until over, fetch algorithm.log and
     outputs.tar): wall time, requests by route, and the requests ocean.js 8.x would make for the
     same calls and polls (it reads `GET /` before every call and the nonce before every signed
     one: 2 per status poll, 3 per start and per result);
  2. with --oceanjs DIR (a folder with node_modules/@oceanprotocol/lib 8.x and the reference kit's
     run-job.mjs): the same job run by ocean.js through a counting proxy, its real request count;
  3. ten jobs at once through one client on one node: total requests, the most sent in any 60 s
     window (the node's default limit is 30 a minute per IP), 429s received, wall time.

Targets: the mock's Ocean Node flavour (started here; --rate-limit 30 like a real node) and, with
--node URL, a real one (e.g. the reference node at http://127.0.0.1:18000).
Run: python bench/bench_node_flow.py [--node URL] [--data-url URL] [--image IMG --tag TAG] [--oceanjs DIR]
"""
from __future__ import annotations

import argparse
import collections
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from c2d_runner import wire
from c2d_runner.ocean import OceanCompute
from c2d_runner.ocean.inputs import AlgorithmMetadata
from c2d_runner.ocean.node.compute import UrlDataset

ALGO = ("import os, time\nrows = open('/data/inputs/data.csv').read().splitlines()\n"
        "print('rows', len(rows))\nos.makedirs('/data/outputs', exist_ok=True)\n"
        "open('/data/outputs/rows.txt', 'w').write(str(len(rows)))\n")
KEY = "0x" + "55" * 32  # a throwaway key with its own nonce counter on the node
WINDOW = 60.0


class Recorder:
    """Every HTTP request an OceanCompute sends: (time, method, path, status)."""

    def __init__(self, compute: OceanCompute, url: str) -> None:
        self.sent: list[tuple[float, str, str, int]] = []
        session = compute._http.session(url)
        original = session.request
        lock = threading.Lock()

        def request(method, target, *args, **kwargs):
            sent = time.monotonic()  # when it left: what a node's per-minute counter sees
            response = original(method, target, *args, **kwargs)
            with lock:
                self.sent.append((sent, method, urllib.request.urlparse(target).path, response.status_code))
            return response

        session.request = request

    def by_route(self) -> dict[str, int]:
        """Requests per "METHOD path"."""
        return dict(collections.Counter(f"{m} {p}" for _, m, p, _ in self.sent))

    def busiest_minute(self) -> int:
        """The most requests sent in any 60 s window."""
        stamps = sorted(t for t, *_ in self.sent)
        best, first = 0, 0
        for last, stamp in enumerate(stamps):
            while stamp - stamps[first] >= WINDOW:
                first += 1
            best = max(best, last - first + 1)
        return best

    def rate_limited(self) -> int:
        """429 answers received."""
        return sum(1 for *_, status in self.sent if status == 429)


def run_job(compute: OceanCompute, url: str, wallet, data_url: str, meta: AlgorithmMetadata, folder: Path):
    """One free job: start, wait, fetch the algorithm log and the outputs; its final status."""
    job_id = compute.start_free(url, wallet, "free", [UrlDataset(data_url)], algorithm_meta=meta,
                                max_job_duration=120)
    final = compute.wait(url, url, job_id, wallet, timeout=900)
    for result in final.results:
        if result.type in ("algorithmLog", "output"):
            compute.download_result(url, url, job_id, result.index, wallet, folder / f"{job_id[-8:]}-{result.filename}")
    return final


def oceanjs_model(by_route: dict[str, int]) -> int:
    """ocean.js 8.x's requests for the same calls: environments 2, start 3, status 2 each, result 3 each."""
    polls = by_route.get("GET /api/services/compute", 0)
    results = by_route.get("GET /api/services/computeResult", 0)
    return 2 + 3 + 2 * polls + 3 * results


def one_job(label: str, url: str, data_url: str, meta: AlgorithmMetadata, folder: Path) -> None:
    wallet = wire.key_wallet(KEY)
    with OceanCompute({"METADATA_CACHE_URI": url, "REQUEST_TIMEOUT": 30}) as compute:
        recorder = Recorder(compute, url)
        began = time.perf_counter()
        final = run_job(compute, url, wallet, data_url, meta, folder)
        wall = time.perf_counter() - began
    routes = recorder.by_route()
    polls = routes.get("GET /api/services/compute", 0)
    print(f"\n[{label}] one free job: {wall:.2f} s, final {final.describe()} exit {final.exit_code}, "
          f"{len(recorder.sent)} requests ({polls} status polls)")
    for route, count in sorted(routes.items()):
        print(f"    {count:4d}  {route}")
    print(f"  ocean.js 8.x for the same calls and polls: {oceanjs_model(routes)} requests "
          f"(root before every call, nonce before every signed one)")


def concurrent(label: str, url: str, data_url: str, meta: AlgorithmMetadata, folder: Path, jobs: int) -> None:
    wallet = wire.key_wallet(KEY)
    with OceanCompute({"METADATA_CACHE_URI": url, "REQUEST_TIMEOUT": 30}) as compute:
        recorder = Recorder(compute, url)
        finals: list = []
        errors: list[str] = []

        def one() -> None:
            try:
                finals.append(run_job(compute, url, wallet, data_url, meta, folder))
            except Exception as exc:  # report, do not hide
                errors.append(f"{type(exc).__name__}: {exc}")

        began = time.perf_counter()
        threads = [threading.Thread(target=one) for _ in range(jobs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
    ok = sum(1 for f in finals if f.succeeded)
    print(f"\n[{label}] {jobs} concurrent jobs: {ok}/{jobs} succeeded in {wall:.1f} s; {len(recorder.sent)} requests, "
          f"busiest minute {recorder.busiest_minute()} (node default limit 30), {recorder.rate_limited()} answered 429")
    for error in errors:
        print(f"  error: {error}")


class CountingProxy(http.server.ThreadingHTTPServer):
    """A loopback proxy in front of a node that counts what passes (for ocean.js)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.count: collections.Counter[str] = collections.Counter()
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> None:
        server: CountingProxy = self.server  # type: ignore[assignment]
        server.count[f"{self.command} {self.path.split('?')[0]}"] += 1
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(server.upstream + self.path, data=body, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=600) as answer:
                status, reply_headers, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as exc:
            status, reply_headers, data = exc.code, exc.headers, exc.read()
        self.send_response(status)
        for key, value in reply_headers.items():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def oceanjs_real(node: str, kit: Path, data_url: str, image: str, tag: str, folder: Path) -> None:
    proxy = CountingProxy(node)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    algo = folder / "algo.py"
    algo.write_text(ALGO)
    env = {**os.environ, "ALGO_FILE": str(algo), "DATA_URL": data_url, "ALGO_IMAGE": image, "ALGO_TAG": tag}
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    began = time.perf_counter()
    try:
        subprocess.run(["node", "run-job.mjs", url, str(folder / "oceanjs")], cwd=kit, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
    finally:
        proxy.shutdown()
        proxy.server_close()
    wall = time.perf_counter() - began
    total = sum(proxy.count.values())
    print(f"\n[ocean.js 8.x, real] the same job through run-job.mjs (polls every 0.5 s, follows the live "
          f"log, fetches every result): {wall:.2f} s, {total} requests")
    for route, count in sorted(proxy.count.items()):
        print(f"    {count:4d}  {route}")


def serve_data(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    (folder / "data.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)  # noqa: E731
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/data.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", help="a real Ocean Node's URL (e.g. http://127.0.0.1:18000)")
    parser.add_argument("--data-url", help="dataset URL the real node can fetch (default: served here)")
    parser.add_argument("--image", default="localhost:5000/python", help="algorithm image on the real node")
    parser.add_argument("--tag", default="3.11")
    parser.add_argument("--oceanjs", type=Path, help="folder with ocean.js 8.x's node_modules and run-job.mjs")
    parser.add_argument("--jobs", type=int, default=10, help="concurrent jobs (default 10)")
    parser.add_argument("--skip-mock", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-node-"))
    data_server, local_data = serve_data(folder)
    try:
        if not args.skip_mock:
            from mockprovider import MockOcean

            meta = AlgorithmMetadata({"rawcode": ALGO, "container": {
                "entrypoint": "python $ALGO", "image": "python", "tag": "3.11", "checksum": ""}})
            # A fresh mock for each part: its per-IP counter must not carry the other part's requests.
            with MockOcean(protocol="ocean-node", rate_limit=30) as mock:
                one_job("mock node", mock.url, local_data, meta, folder)
            with MockOcean(protocol="ocean-node", rate_limit=30) as mock:
                concurrent("mock node", mock.url, local_data, meta, folder, args.jobs)
        if args.node:
            meta = AlgorithmMetadata({"rawcode": ALGO, "container": {
                "entrypoint": "python $ALGO", "image": args.image, "tag": args.tag, "checksum": ""}})
            data = args.data_url or local_data
            one_job("real node", args.node, data, meta, folder)
            if args.oceanjs:
                oceanjs_real(args.node, args.oceanjs, data, args.image, args.tag, folder)
            concurrent("real node", args.node, data, meta, folder, args.jobs)
    finally:
        data_server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
