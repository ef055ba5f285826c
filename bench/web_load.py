#!/usr/bin/env python3
"""Web load: many concurrent clients for minutes against the web role, on SQLite and PostgreSQL.

    python3 bench/web_load.py [--clients 200] [--seconds 600] [--engine sqlite,postgres]
                              [--scale 20000] [--no-build]

For each engine:
1. builds govsite (release) unless --no-build; loads the demo data plus --scale synthetic units
   (each with a name and a badged site) into a fresh SQLite data directory, or into a fresh
   PostgreSQL cluster the script starts on loopback (initdb, pg_ctl; stopped at the end);
2. starts `govsite serve --roles web` pinned to CPU 1, issues activation links (`govsite demo`
   again) and activates a unit (jyxrmzf), the county 编办 (jy-bianban) and the registry
   (zx-shenhe) through the activation pages, as people would;
3. runs --clients clients at once (asyncio, one keep-alive connection and cookie jar each, the
   script pinned to CPU 0) for --seconds: six in ten are the public (verification pages
   /v/{code} and badge scripts /b/{code}.js of random issued badges), two in ten sign in as the
   unit (portal pages, and 单位信息 re-posted from its own form: a real form post with CSRF,
   a write and its audit row), one in ten as the 编办 and one as the registry (console pages);
4. prints requests, errors (any 5xx, connection failure, or an answer other than the one the
   page gives a person: 200 for pages and scripts, 303 for the post), p50/p99 per kind, and
   the database's growth (file sizes or pg_database_size, and the rows of sessions, audit and
   outbox).

Loopback only; bounded by --seconds; every process it started is stopped by pid. A benchmark,
not a test: the figures go to docs/PERFORMANCE.md.
"""

import argparse
import asyncio
import http.cookiejar
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import loopback_only  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / "target-govsite"))
GOVSITE = Path(os.environ.get("GOVSITE_BIN", TARGET / "release" / "govsite"))
PASSWORD = "负载测试 口令 2026 仅本机"
ACCOUNTS = ("jyxrmzf", "jy-bianban", "zx-shenhe")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- databases


class Sqlite:
    name = "SQLite"

    def __init__(self, work):
        self.dir = work / "data"

    def args(self):
        return ["--data-dir", str(self.dir)]

    def query(self, sql):
        return subprocess.run(["sqlite3", str(self.dir / "govsite.db"), sql], check=True,
                              capture_output=True, text=True).stdout.split()

    def size(self):
        return sum(f.stat().st_size for f in self.dir.glob("govsite.db*"))

    def close(self):
        pass


class Postgres:
    name = "PostgreSQL"

    def __init__(self, work):
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.data = work / "pg"
        self.port = free_port()
        self.data.mkdir()
        root = os.geteuid() == 0
        if root:
            shutil.chown(self.data, "postgres")
            shutil.chown(work, "postgres")
        self.run([self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres"])
        self.run([self.bin / "pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-w",
                  "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 "
                        "-c max_connections=300 -c shared_buffers=512MB", "start"])
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, cmd):
        cmd = [str(c) for c in cmd]
        if os.geteuid() == 0:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def args(self):
        return ["--database-url", self.url]

    def query(self, sql):
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                               "-At", "-c", sql], check=True, capture_output=True,
                              text=True).stdout.split()

    def size(self):
        return int(self.query("SELECT pg_database_size('postgres')")[0])

    def close(self):
        self.run([self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "stop"])


def counts(db):
    out = {}
    for table in ("sessions", "login_failures", "captchas", "audit_events", "outbox",
                  "badge_hits"):
        try:
            out[table] = int(db.query(f"SELECT COUNT(*) FROM {table}")[0])
        except (subprocess.CalledProcessError, IndexError):
            out[table] = None
    return out


# ---------------------------------------------------------------- set-up through the pages


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def activate(base, link):
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
    path = link[len(base):]
    with opener.open(base + path, timeout=60) as r:
        body = r.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "password": PASSWORD,
                                   "confirm": PASSWORD}).encode()
    try:
        opener.open(urllib.request.Request(base + path, data=data, method="POST"), timeout=60)
    except urllib.error.HTTPError as e:
        if e.code != 303:
            sys.exit(f"activation of {path} refused: {e.code}")


def activation_links(db, base):
    out = subprocess.run([GOVSITE, "demo", *db.args(), "--public-url", base], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    found = {}
    for i, line in enumerate(out):
        for name in ACCOUNTS:
            if re.search(rf"\s{re.escape(name)}\s", line) and i + 1 < len(out):
                found[name] = out[i + 1].strip()
    missing = [a for a in ACCOUNTS if a not in found]
    if missing:
        sys.exit(f"no activation link for {missing}")
    return found


def wait_up(base, proc, limit=300):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("govsite exited")
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("govsite did not start")


# ---------------------------------------------------------------- a small HTTP/1.1 client


class Client:
    """One keep-alive connection and one cookie jar: one person's browser."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.reader = self.writer = None

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method, path, form=None):
        if self.writer is None:
            await self.connect()
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                "Accept-Encoding: identity", "User-Agent: govsite-web-load"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            head += ["Content-Type: application/x-www-form-urlencoded",
                     f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                name, _, value = v.split(";")[0].partition("=")
                self.cookies[name] = value
            headers[k] = v
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
            self.writer = None
        return status, data.decode("utf-8", "replace")

    async def sign_in(self, username):
        _, page = await self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = await self.request("POST", "/login", {"csrf_token": token,
                                                          "username": username,
                                                          "password": PASSWORD})
        if status != 303:
            raise RuntimeError(f"sign-in of {username}: {status}")


def form_values(page, action):
    """The fields of the form posting to `action`, with the values the page gave them."""
    start = page.find(f'action="{action}"')
    if start < 0:
        start = page.find(f'action="{action.replace("/", "&#x2f;")}"')
    end = page.find("</form>", start)
    form = page[start:end]
    fields = []
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or re.search(r'type="(submit|file|checkbox)"', tag):
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields.append((name.group(1), value.group(1) if value else ""))
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options) or \
            re.search(r'<option value="([^"]*)"', options)
        fields.append((name, chosen.group(1) if chosen else ""))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        fields.append((name, text))
    unescape = {"&amp;": "&", "&quot;": '"', "&#x27;": "'", "&lt;": "<", "&gt;": ">",
                "&#x2f;": "/"}
    clean = []
    for k, v in fields:
        for a, b in unescape.items():
            v = v.replace(a, b)
        clean.append((k, v))
    return clean


PORTAL = ["/portal", "/portal/unit", "/portal/domains", "/portal/sites", "/portal/sites/badges",
          "/portal/finance", "/portal/red-page"]
CONSOLE = ["/console", "/console/units", "/console/reviews", "/console/sites", "/console/badges",
           "/console/domains", "/console/lists/lapsed", "/console/campaigns"]


ROLES = ("public",) * 6 + ("unit", "unit", "office", "registry")
USERS = {"unit": "jyxrmzf", "office": "jy-bianban", "registry": "zx-shenhe"}


async def run_client(i, c, codes, deadline, stats):
    rng = random.Random(i)
    role = ROLES[i % 10]
    while time.monotonic() < deadline:
        if role == "public":
            code = rng.choice(codes)
            kind, method, path, want = (("badge script", "GET", f"/b/{code}.js", 200)
                                        if rng.random() < 0.5
                                        else ("verification page", "GET", f"/v/{code}", 200))
            form = None
        elif role == "unit" and rng.random() < 0.25:
            kind, method, path, want = "form post", "POST", "/portal/unit/edit", 303
            status, page = await c.request("GET", "/portal/unit/edit")
            form = form_values(page, "/portal/unit/edit")
        elif role == "unit":
            kind, method, path, want, form = "portal page", "GET", rng.choice(PORTAL), 200, None
        else:
            kind, method, path, want, form = "console page", "GET", rng.choice(CONSOLE), 200, None
        t = time.perf_counter()
        try:
            status, _ = await c.request(method, path, form)
        except Exception as e:  # noqa: BLE001 - counted
            status = f"{type(e).__name__}"
            c.writer = None
        ms = (time.perf_counter() - t) * 1000
        stats.setdefault(kind, []).append(ms)
        if status != want:
            stats.setdefault("errors", []).append(f"{kind} {path}: {status}")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * len(values))) - 1)]


def run_engine(engine, args):
    work = Path(tempfile.mkdtemp(prefix=f"govsite-web-load-{engine}-"))
    os.chmod(work, 0o755)
    db = Sqlite(work) if engine == "sqlite" else Postgres(work)
    proc = None
    try:
        t = time.monotonic()
        subprocess.run([GOVSITE, "demo", *db.args(), "--scale", str(args.scale)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"{db.name}: demo data and {args.scale} synthetic units in "
              f"{time.monotonic() - t:.0f} s", flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        links = activation_links(db, base)
        proc = subprocess.Popen(
            ["taskset", "-c", "1", GOVSITE, "serve", "--staff-totp", "off", "--roles", "web", *db.args(),
             "--secret-key-file", str(work / "secret.key"), "--http", f"127.0.0.1:{port}",
             "--public-url", base, *loopback_only()],
            stdout=subprocess.DEVNULL,
            stderr=open(args.server_log, "a") if args.server_log else subprocess.DEVNULL,
            env={**os.environ, "GOVSITE_LOG": "warn"})
        wait_up(base, proc)
        for name in ACCOUNTS:
            activate(base, links[name])
        codes = db.query("SELECT badge_code FROM sites WHERE badge_code <> '' "
                         "ORDER BY id LIMIT 2000")
        before_size, before_rows = db.size(), counts(db)
        stats = {}

        async def all_clients():
            # People sign in one after another: many sign-ins of one account at the same
            # instant from one address are what a password guesser does, and are slowed.
            clients = [Client(port) for _ in range(args.clients)]
            for i, c in enumerate(clients):
                if ROLES[i % 10] != "public":
                    await c.sign_in(USERS[ROLES[i % 10]])
            begun = time.monotonic()
            until = begun + args.seconds
            await asyncio.gather(*(run_client(i, c, codes, until, stats)
                                   for i, c in enumerate(clients)))
            return begun

        started = asyncio.run(all_clients())
        elapsed = time.monotonic() - started
        after_size, after_rows = db.size(), counts(db)
        errors = stats.pop("errors", [])
        total = sum(len(v) for v in stats.values())
        print(f"\n{db.name}: {args.clients} clients for {elapsed:.0f} s, {total} requests "
              f"({total / elapsed:.0f}/s), errors {len(errors)}")
        for e in errors[:10]:
            print(f"  error: {e}")
        print(f"  {'kind':<20} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind, ms in sorted(stats.items()):
            ms = [m for m in ms if m is not None]
            if ms:
                print(f"  {kind:<20} {len(ms):>9} {statistics.median(ms):>8.1f} "
                      f"{percentile(ms, 99):>8.1f} {max(ms):>8.1f}")
        print(f"  database {before_size / 2**20:.1f} MiB -> {after_size / 2**20:.1f} MiB; rows "
              + ", ".join(f"{k} {before_rows[k]} -> {after_rows[k]}" for k in before_rows),
              flush=True)
    finally:
        stop(proc)
        db.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--scale", type=int, default=20000)
    ap.add_argument("--engine", default="sqlite,postgres")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--server-log", default="", help="append the server's warnings here")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "govsite"], cwd=ROOT,
                       check=True, env={**os.environ, "CARGO_TARGET_DIR": str(TARGET)})
    os.sched_setaffinity(0, {0})
    for engine in args.engine.split(","):
        run_engine(engine, args)


if __name__ == "__main__":
    main()
