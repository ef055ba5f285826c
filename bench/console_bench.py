#!/usr/bin/env python3
"""Console pages at scale: how long the 编办's and the registry's pages take with N units.

1. builds govsite (release) and creates a database with `govsite demo --scale N` (kept in
   --work and reused: a million units take about five minutes to load); the synthetic units
   are spread over Gansu's counties, so 靖远县's office has about N/86 of them and the
   registry all of them, each with an active .政务 name and a site with a mounted badge;
2. copies it, issues fresh activation links (`govsite demo` again), starts
   `govsite serve --roles web` on loopback and activates the office reviewer (jy-bianban)
   and the registry reviewer (zx-shenhe) through the activation pages, as a person would;
3. opens 工作台 (the console home) and every console page two clicks from it (each menu item,
   the demo campaign and its progress, its search, its filters,
   its last page, an export of one page is left out) --requests times each, one at a time,
   after two warm-up requests, and prints p50, p95 and the largest time per page.

Loopback only; bounded by --requests; the server is stopped at the end. A benchmark, not a
test: the figures go to docs/PERFORMANCE.md.

    python3 bench/console_bench.py --units 1000000 --requests 20
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import loopback_only  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / "target-govsite"))
GOVSITE = TARGET / "release" / "govsite"
PASSWORD = "控制台压测 口令 2026 一次性"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "govsite"], cwd=ROOT,
                   check=True, env={**os.environ, "CARGO_TARGET_DIR": str(TARGET)})


def database(work, units):
    data = work / f"data-{units}"
    marker = data / "complete"
    if not marker.exists():
        shutil.rmtree(data, ignore_errors=True)
        t = time.monotonic()
        subprocess.run([GOVSITE, "demo", "--data-dir", data, "--scale", str(units)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"created {units} synthetic units in {time.monotonic() - t:.0f} s", flush=True)
        marker.write_text("ok")
    return data


def links(data, base):
    out = subprocess.run([GOVSITE, "demo", "--data-dir", data, "--public-url", base], check=True,
                         capture_output=True, text=True).stdout
    found = {}
    lines = out.splitlines()
    for i, line in enumerate(lines):
        for name in ("jy-bianban", "zx-shenhe"):
            if re.search(rf"\s{name}\s", line) and i + 1 < len(lines) and "/activate/" in lines[i + 1]:
                found[name] = lines[i + 1].strip()
    return found


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST")
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def activate(self, link):
        path = link[len(self.base):]
        status, body = self.get(path)
        token = re.search(r'name="csrf_token" value="([^"]+)"', body)
        if status != 200 or not token:
            sys.exit(f"activation page {path}: {status}")
        done = self.post(path, {"csrf_token": token.group(1), "password": PASSWORD,
                                "confirm": PASSWORD})
        if done != 303:
            sys.exit(f"activation refused: {done}")


def wait_up(base, proc, limit=120):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("govsite exited")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("govsite did not start")


def first_unit(b, region=""):
    status, body = b.get("/console/units?" + region)
    m = re.search(r'href="/console/units/(\d+)"', body)
    return m.group(1) if m else "1"


def pages(b, who):
    unit = first_unit(b)
    search = urllib.parse.quote("合成测试单位0004")
    common = [
        "/console", "/console/campaigns", "/console/campaigns/1",
        "/console/campaigns/1/progress?kind=application&missing=1",
        "/console/units", "/console/units?page=250", "/console/units?last=1",
        f"/console/units?q={search}", "/console/units?state=pending", f"/console/units/{unit}",
        "/console/reviews", "/console/reviews?state=all", f"/console/reviews?q={search}",
        "/console/sites", "/console/sites/history", "/console/sites/history?state=all",
        "/console/badges", "/console/badges?status=mounted", "/console/badges?last=1",
        f"/console/badges?q={search}", "/console/red-pages",
        "/console/domains", "/console/domains?last=1", f"/console/domains?q={search}",
        "/console/domains?state=held",
        "/console/lists/lapsed", "/console/lists/unregistered", "/console/lists/contacts",
    ]
    if who == "office":
        return common + ["/console/office-payments", "/console/office", "/console/units/import"]
    return common + ["/console/units?region=620421", "/console/domains?region=620000",
                     "/console/badges?region=620400"]


def measure(b, path, n):
    for _ in range(2):
        b.get(path)
    times = []
    status = 0
    for _ in range(n):
        t = time.perf_counter()
        status, _ = b.get(path)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return status, statistics.median(times), p95, times[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--work", default="/tmp/govsite-console-bench")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--only", default="",
                    help="comma-separated pages to measure (as listed), instead of all")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if not args.no_build:
        build()
    data = database(work, args.units)
    run = work / "run"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(data, run)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    found = links(run, base)
    proc = subprocess.Popen([GOVSITE, "serve", "--staff-totp", "off", "--data-dir", run, "--roles", "web", "--http",
                             f"127.0.0.1:{port}", "--public-url", base, *loopback_only()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(base, proc)
        units = subprocess.run(["sqlite3", run / "govsite.db", "SELECT COUNT(*) FROM units"],
                               capture_output=True, text=True).stdout.strip() or "?"
        print(f"{units} units; {args.requests} requests per page, one at a time, after 2 warm-up")
        print(f"{'who':<9} {'page':<48} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        worst = []
        for who, name in (("office", "jy-bianban"), ("registry", "zx-shenhe")):
            if name not in found:
                sys.exit(f"no activation link for {name}")
            b = Browser(base)
            b.activate(found[name])
            only = [p for p in args.only.split(",") if p]
            for path in pages(b, who):
                if only and path not in only:
                    continue
                status, p50, p95, top = measure(b, path, args.requests)
                worst.append((p95, who, path))
                shown = urllib.parse.unquote(path)
                print(f"{who:<9} {shown:<48} {status:>6} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}",
                      flush=True)
        worst.sort(reverse=True)
        print("slowest p95:", ", ".join(f"{w} {urllib.parse.unquote(p)} {t:.0f} ms"
                                         for t, w, p in worst[:5]))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
