#!/usr/bin/env python3
"""Mount-checker benchmark: one round of `govsite badge-check` over N local sites.

    python3 bench/checker_bench.py [--sites 10000] [--parallel 64] [--linked-pages 1]

1. builds govsite (release) and a database with N synthetic units, each with one site and an
   issued badge on its .政务 name (`govsite demo --scale N`, kept in $BENCH_DIR);
2. starts a stand-in resolver (answers 127.0.0.1 for every A query) and nginx answering every
   Host with a small home page that links one page and loads a badge script;
3. runs one round of the checker against them (HTTPS first: the port is closed, so every site
   falls back to HTTP, as a site without HTTPS does), with the politeness pause of one second
   between two pages of a site;
4. prints sites per minute and the checker's peak memory (max RSS).

Loopback only, bounded by the round itself; every process is stopped by the script. Needs
Debian's nginx.
"""

import argparse
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / "target-govsite"))
GOVSITE = TARGET / "release" / "govsite"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resolver(port, stop):
    """Answers every query with one A record, 127.0.0.1."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            q, peer = s.recvfrom(1500)
        except socket.timeout:
            continue
        if len(q) < 12:
            continue
        end = 12
        while end < len(q) and q[end] != 0:
            end += q[end] + 1
        question = q[12:end + 5]
        answer = struct.pack(">HHHLH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
        s.sendto(q[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + answer, peer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=10000)
    ap.add_argument("--parallel", type=int, default=64)
    ap.add_argument("--linked-pages", type=int, default=1)
    args = ap.parse_args()
    if shutil.which("nginx") is None:
        sys.exit("missing: nginx (apt-get install nginx)")
    subprocess.run(["cargo", "build", "--release", "-p", "govsite"], cwd=ROOT, check=True)
    bench = Path(os.environ.get("BENCH_DIR", Path.home() / "govsite-bench")) / f"checker-{args.sites}"
    if not (bench / "govsite.db").exists():
        bench.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(GOVSITE), "demo", "--data-dir", str(bench), "--scale", str(args.sites)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Every round starts from issued badges with a deadline in the future.
    subprocess.run(["sqlite3", str(bench / "govsite.db"),
                    "UPDATE sites SET badge_state = 'issued', mount_due = '2999-12-31', last_check_at = NULL;"
                    " DELETE FROM badge_checks;"], check=True)

    work = Path(tempfile.mkdtemp(prefix="checker-bench-"))
    work.chmod(0o755)
    dns_port = free_port(socket.SOCK_DGRAM)
    stop = threading.Event()
    threading.Thread(target=resolver, args=(dns_port, stop), daemon=True).start()
    http_port = free_port()
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{http_port} backlog=4096;
    default_type text/html;
    location / {{
      return 200 '<!DOCTYPE html><html><head><title>$host</title></head><body><main><p>正文</p><a href="/news/1.html">新闻</a></main><script src="https://badge.example/b/CA620040021000000010001.js" async></script></body></html>';
    }}
  }}
}}
""")
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        cmd = [str(GOVSITE), "badge-check", "--data-dir", str(bench),
               "--site-check-resolver", f"127.0.0.1:{dns_port}",
               "--site-check-http-port", str(http_port),
               "--site-check-https-port", str(free_port()),
               "--site-check-allow-private",
               "--parallel", str(args.parallel), "--linked-pages", str(args.linked_pages),
               "--politeness-ms", "1000", "--public-url", "https://badge.example"]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "GOVSITE_LOG": "warn"})
        peak = 0
        while proc.poll() is None:
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.2)
        stdout, stderr = proc.communicate()
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            sys.exit(stderr)
    finally:
        stop.set()
        if nginx.poll() is None:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    print(stdout.strip())
    print(f"wall time {elapsed:.1f} s; {args.parallel} sites at once, home page + {args.linked_pages} "
          f"linked page(s), 1 s between pages of a site; peak memory (VmHWM of the checker) "
          f"{peak / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
