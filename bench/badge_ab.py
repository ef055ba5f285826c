#!/usr/bin/env python3
"""Badge A/B: two govsite builds head to head on the same badge database, alternating, so a
change to the code can be told apart from the machine's noise (the badge benchmark's ratio to
nginx moves by ±20 % between runs on a two-core machine).

    python3 bench/badge_ab.py A_BINARY B_BINARY [--badges 100000] [--rounds 3] [--seconds 10]

Uses the database bench/badge_bench.py made (in $BENCH_DIR, default ~/govsite-bench; run
that first). Each round starts A, then B (`--roles web`, pinned to CPU 1), drives each alone
with wrk (one thread on CPU 0, 64 connections) over the same 1,000 badge URLs without and with
gzip, and stops it. Loopback only, bounded in time; every process is stopped by the script.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import loopback_only  # noqa: E402
from badge_bench import free_port, stop, wait_http, wrk  # noqa: E402


def run_one(binary, bench, paths_file, code, seconds):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        ["taskset", "-c", "1", binary, "serve", "--roles", "web", "--data-dir", str(bench),
         "--http", f"127.0.0.1:{port}", "--public-url", "https://badge.example", *loopback_only()],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "GOVSITE_LOG": "warn"})
    try:
        wait_http(f"{base}/b/{code}.js", proc)
        return {gz: wrk(base, paths_file, seconds, 64, gz) for gz in (False, True)}
    finally:
        stop(proc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--badges", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    bench = Path(os.environ.get("BENCH_DIR", Path.home() / "govsite-bench")) / f"badges-{args.badges}"
    if not (bench / "govsite.db").exists():
        sys.exit(f"no database in {bench}: run bench/badge_bench.py --badges {args.badges} first")
    codes = subprocess.run(
        ["sqlite3", str(bench / "govsite.db"), "SELECT badge_code FROM sites ORDER BY random() LIMIT 1000"],
        capture_output=True, text=True, check=True).stdout.split()
    work = Path(tempfile.mkdtemp(prefix="badge-ab-"))
    paths_file = work / "paths.txt"
    paths_file.write_text("".join(f"/b/{c}.js\n" for c in codes))
    rows = []
    for r in range(1, args.rounds + 1):
        for name, binary in (("A", args.a), ("B", args.b)):
            res = run_one(binary, bench, str(paths_file), codes[-1], args.seconds)
            rows.append((r, name, res))
            print(r, name, res, flush=True)
    print("\n| round | build | identity req/s | p99 ms | gzip req/s | p99 ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r, name, res in rows:
        print(f"| {r} | {name} | {res[False][0]:,.0f} | {res[False][2]:.2f} | {res[True][0]:,.0f} | {res[True][2]:.2f} |")
    for gz in (False, True):
        mean = {n: sum(res[gz][0] for _, m, res in rows if m == n) / args.rounds for n in ("A", "B")}
        print(f"{'gzip' if gz else 'identity'}: mean A {mean['A']:,.0f}, B {mean['B']:,.0f} req/s, B/A {mean['B'] / mean['A']:.2f}x")


if __name__ == "__main__":
    main()
