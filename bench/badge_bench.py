#!/usr/bin/env python3
"""Badge benchmark: govsite's /b/{code}.js against nginx serving the same bytes as static
files, same machine, same run, same load generator.

    python3 bench/badge_bench.py [--badges 100000] [--codes 1000] [--seconds 15] [--connections 64]

1. builds govsite (release) and creates a database with `govsite demo --scale N` (N
   synthetic units, each with one site and an issued badge; kept in $BENCH_DIR, default
   ~/govsite-bench, and reused while N is the same);
2. starts govsite (`--roles web`) pinned to CPU 1, waits until every badge is in memory, and
   reads its memory (PSS) with all N badges loaded;
3. fetches the scripts of `--codes` badges from govsite and writes exactly those bytes (and
   their gzip) as files under an nginx root; nginx runs with one worker pinned to CPU 1,
   `sendfile`, `open_file_cache` and `gzip_static`;
4. drives each server alone with wrk (one thread, on CPU 0) over loopback, rotating over the
   same URLs, once without compression and once with `Accept-Encoding: gzip`; prints requests
   per second, p50/p99 latency and the ratio govsite / nginx.

Loopback only, bounded in time; every process is stopped by the script. Needs Debian's wrk,
nginx and sqlite3.
"""

import argparse
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import loopback_only  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / "target-govsite"))
GOVSITE = TARGET / "release" / "govsite"

LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_http(url, proc, limit=600):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in time")


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def wrk(base, paths_file, seconds, connections, gzip_on):
    script = Path(paths_file).with_suffix(".lua")
    script.write_text(LUA % paths_file)
    cmd = ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
           "-s", str(script)]
    if gzip_on:
        cmd += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(cmd + [base], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw errors: {out}")
    return rps, pct(50), pct(99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--badges", type=int, default=100000)
    ap.add_argument("--codes", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    for tool in ["wrk", "nginx", "sqlite3", "taskset"]:
        if shutil.which(tool) is None:
            sys.exit(f"missing: {tool} (apt-get install wrk nginx sqlite3 util-linux)")
    subprocess.run(["cargo", "build", "--release", "-p", "govsite"], cwd=ROOT, check=True)

    bench = Path(os.environ.get("BENCH_DIR", Path.home() / "govsite-bench")) / f"badges-{args.badges}"
    if not (bench / "govsite.db").exists():
        bench.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        subprocess.run([str(GOVSITE), "demo", "--data-dir", str(bench), "--scale", str(args.badges)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"database with {args.badges} badges made in {time.monotonic() - t:.1f} s")
    codes = [r for r in subprocess.run(
        ["sqlite3", str(bench / "govsite.db"),
         f"SELECT badge_code FROM sites ORDER BY random() LIMIT {args.codes}"],
        capture_output=True, text=True, check=True).stdout.split()]
    total = subprocess.run(["sqlite3", str(bench / "govsite.db"), "SELECT COUNT(*) FROM sites"],
                           capture_output=True, text=True, check=True).stdout.strip()

    work = Path(tempfile.mkdtemp(prefix="badge-bench-"))
    work.chmod(0o755)  # nginx's worker (nobody) reads the files
    paths_file = work / "paths.txt"
    paths_file.write_text("".join(f"/b/{c}.js\n" for c in codes))
    gov = nginx = None
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gov = subprocess.Popen(
            ["taskset", "-c", "1", str(GOVSITE), "serve", "--roles", "web", "--data-dir", str(bench),
             "--http", f"127.0.0.1:{port}", "--public-url", "https://badge.example",
             *loopback_only()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "GOVSITE_LOG": "warn"})
        started = wait_http(f"{base}/b/{codes[-1]}.js", gov)
        time.sleep(1)
        gov_pss = pss_kib(gov.pid)
        print(f"govsite answered after {started:.1f} s, PSS {gov_pss / 1024:.1f} MiB", flush=True)
        root = work / "root" / "b"
        root.mkdir(parents=True)
        for c in codes:
            with urllib.request.urlopen(f"{base}/b/{c}.js") as r:
                body = r.read()
            (root / f"{c}.js").write_bytes(body)
            # Every file gets its .gz for gzip_static (before, only the last one did, so
            # nginx's "gzip" rows mostly sent identity bytes).
            (root / f"{c}.js.gz").write_bytes(gzip.compress(body, 9))
        for d in (work / "root", root):
            d.chmod(0o755)
        results = {}
        for gz in (False, True):
            results[("govsite", gz)] = wrk(base, str(paths_file), args.seconds, args.connections, gz)
            print("govsite", "gzip" if gz else "identity", results[("govsite", gz)], flush=True)
        stop(gov)
        gov = None

        nport = free_port()
        conf = work / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  open_file_cache max=10000 inactive=60s; open_file_cache_valid 60s;
  keepalive_requests 1000000;
  types {{ text/javascript js; }}
  server {{
    listen 127.0.0.1:{nport};
    root {work}/root;
    gzip_static on;
    etag on;
    add_header Cache-Control "public, max-age=300";
  }}
}}
""")
        nginx = subprocess.Popen(["taskset", "-c", "1", "nginx", "-c", str(conf), "-p", str(work)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        nbase = f"http://127.0.0.1:{nport}"
        wait_http(f"{nbase}/b/{codes[0]}.js", nginx)
        for gz in (False, True):
            results[("nginx", gz)] = wrk(nbase, str(paths_file), args.seconds, args.connections, gz)
            print("nginx", "gzip" if gz else "identity", results[("nginx", gz)], flush=True)
    finally:
        stop(gov)
        stop(nginx)

    print(f"\n{total} badges issued; govsite loaded them and answered in {started:.1f} s, "
          f"PSS {gov_pss / 1024:.1f} MiB")
    print(f"wrk: 1 thread on CPU 0, {args.connections} connections, {args.seconds} s, "
          f"{len(codes)} codes rotated; each server alone on CPU 1\n")
    print("| encoding | govsite req/s | nginx req/s | govsite/nginx | govsite p50 / p99 ms | nginx p50 / p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for gz in (False, True):
        g, n = results[("govsite", gz)], results[("nginx", gz)]
        print(f"| {'gzip' if gz else 'identity'} | {g[0]:,.0f} | {n[0]:,.0f} | **{g[0] / n[0]:.2f}×** | "
              f"{g[1]:.2f} / {g[2]:.2f} | {n[1]:.2f} / {n[2]:.2f} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
