#!/usr/bin/env python3
"""网络红页 benchmark: govsite's /r/{slug}/… against nginx serving the same bytes as static
files, same machine, same run, same load generator (the method of badge_bench.py).

    python3 bench/red_page_bench.py [--seconds 15] [--connections 64]

1. builds govsite (release) and creates the demo database (`govsite demo`: 县政协's red page
   is published with its badge; kept in $BENCH_DIR/red-pages, default ~/govsite-bench);
2. starts govsite (`--roles web`) pinned to CPU 1 and fetches every page of that red page
   (home, the five sections, the notice list and each notice, the stylesheet);
3. writes exactly those bytes (and their gzip) under an nginx root at the same paths; nginx
   runs with one worker pinned to CPU 1, `sendfile`, `open_file_cache` and `gzip_static`;
4. drives each server alone with wrk (one thread, on CPU 0) over loopback, rotating over the
   same URLs, without and with `Accept-Encoding: gzip`; prints requests per second, p50/p99
   latency and the ratio govsite / nginx.

Loopback only, bounded in time; every process is stopped by the script.
"""

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from badge_bench import GOVSITE, ROOT, free_port, stop, wait_http, wrk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import loopback_only  # noqa: E402


def encodings(base, paths):
    """The Content-Encoding each path is sent with when gzip is asked for: both servers must
    really compress for the gzip rows to compare like with like."""
    seen = set()
    for p in paths:
        req = urllib.request.Request(f"{base}{p}", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(req) as r:
            seen.add(r.headers.get("Content-Encoding", "identity"))
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=64)
    args = ap.parse_args()
    for tool in ["wrk", "nginx", "sqlite3", "taskset"]:
        if shutil.which(tool) is None:
            sys.exit(f"missing: {tool} (apt-get install wrk nginx sqlite3 util-linux)")
    subprocess.run(["cargo", "build", "--release", "-p", "govsite"], cwd=ROOT, check=True)
    bench = Path(os.environ.get("BENCH_DIR", Path.home() / "govsite-bench")) / "red-pages"
    if not (bench / "govsite.db").exists():
        bench.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(GOVSITE), "demo", "--data-dir", str(bench)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slug = subprocess.run(
        ["sqlite3", str(bench / "govsite.db"),
         "SELECT a.username FROM red_pages r JOIN accounts a ON a.unit_id = r.unit_id "
         "WHERE r.state = 'published' ORDER BY a.id LIMIT 1"],
        capture_output=True, text=True, check=True).stdout.strip()
    if not slug:
        sys.exit("the demo database has no published red page")

    work = Path(tempfile.mkdtemp(prefix="red-page-bench-"))
    work.chmod(0o755)
    gov = nginx = None
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        gov = subprocess.Popen(
            ["taskset", "-c", "1", str(GOVSITE), "serve", "--roles", "web", "--data-dir", str(bench),
             "--http", f"127.0.0.1:{port}", "--public-url", "https://www.example.cn",
             *loopback_only()],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "GOVSITE_LOG": "warn"})
        prefix = f"/r/{slug}/"
        wait_http(f"{base}{prefix}", gov)
        home = urllib.request.urlopen(f"{base}{prefix}").read().decode()
        notices = urllib.request.urlopen(f"{base}{prefix}notices").read().decode()
        links = {prefix, f"{prefix}notices", f"{prefix}red.css"}
        for html in (home, notices):
            for href in re.findall(r'href="([^"]+)"', html.replace("&#x2f;", "/")):
                if href.startswith(prefix) and "logo-" not in href:
                    links.add(href)
        paths = sorted(links)
        root = work / "root"
        for p in paths:
            with urllib.request.urlopen(f"{base}{p}") as r:
                body = r.read()
            file = root / urllib.parse.unquote(p).lstrip("/")
            # `/r/x/` and `/r/x/notices` (beside `/r/x/notices/2`) are directories' index.
            if p.endswith("/") or any(q.startswith(p + "/") for q in paths):
                file = file / "index.html"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(body)
            Path(f"{file}.gz").write_bytes(gzip.compress(body, 9))
        for d in [root, *root.rglob("*")]:
            if d.is_dir():
                d.chmod(0o755)
        paths_file = work / "paths.txt"
        paths_file.write_text("".join(f"{p}\n" for p in paths))
        size = sum(len(urllib.request.urlopen(f"{base}{p}").read()) for p in paths) // len(paths)
        print(f"{len(paths)} pages of {prefix}, {size} bytes on average", flush=True)
        results = {}
        print("govsite sends", encodings(base, paths), flush=True)
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
  default_type "text/html; charset=utf-8";
  types {{ text/css css; }}
  server {{
    listen 127.0.0.1:{nport};
    root {root};
    location / {{ try_files $uri $uri/index.html =404; }}
    gzip_static on;
    etag on;
    add_header Cache-Control "public, max-age=60";
  }}
}}
""")
        nginx = subprocess.Popen(["taskset", "-c", "1", "nginx", "-c", str(conf), "-p", str(work)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        nbase = f"http://127.0.0.1:{nport}"
        wait_http(f"{nbase}{prefix}", nginx)
        print("nginx sends", encodings(nbase, paths), flush=True)
        for gz in (False, True):
            results[("nginx", gz)] = wrk(nbase, str(paths_file), args.seconds, args.connections, gz)
            print("nginx", "gzip" if gz else "identity", results[("nginx", gz)], flush=True)
    finally:
        stop(gov)
        stop(nginx)

    print(f"\nwrk: 1 thread on CPU 0, {args.connections} connections, {args.seconds} s, "
          f"{len(paths)} pages rotated; each server alone on CPU 1\n")
    print("| encoding | govsite req/s | nginx req/s | govsite/nginx | govsite p50 / p99 ms | nginx p50 / p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for gz in (False, True):
        g, n = results[("govsite", gz)], results[("nginx", gz)]
        print(f"| {'gzip' if gz else 'identity'} | {g[0]:,.0f} | {n[0]:,.0f} | **{g[0] / n[0]:.2f}×** | "
              f"{g[1]:.2f} / {g[2]:.2f} | {n[1]:.2f} / {n[2]:.2f} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
