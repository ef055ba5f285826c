#!/usr/bin/env python3
"""DNS benchmark: govsite against NSD and Knot, same zone, same queries, same run.

    python3 bench/dns_bench.py [--names 200000] [--seconds 15] [--startup-names 1000000]

1. builds govsite (release), creates a database with `govsite demo --scale N` (kept in
   $BENCH_DIR, default ~/govsite-bench, and reused while N is the same);
2. exports the 政务 zone with `govsite zone export` and loads that file into NSD and Knot;
3. starts each server alone with one worker thread, pinned to CPU 1 (dnsperf gets CPU 0),
   drives it with dnsperf over loopback with one query mix (70% present names, 20% absent,
   10% below delegated names), and reads its memory (PSS summed over its processes) and the
   CPU time it used (so queries per CPU-second: on two cores the load generator may be the
   limit, and this says what each server costs per query);
4. prints queries per second, queries per CPU-second, memory, and govsite's ratios to NSD and
   to Knot;
5. measures govsite's latency from a committed change to the new answer (20 changes);
6. with --startup-names, measures govsite's start-up time to the first answer on a database
   of that many names.

Loopback only; every server is stopped by the script. Needs Debian's nsd, knot, dnsperf,
bind9-dnsutils and sqlite3 (the script says which is missing).
"""

import argparse
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / "target-govsite"))
GOVSITE = TARGET / "release" / "govsite"
ZONE = "xn--zfr164b"


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        sys.exit(f"missing: {' '.join(missing)} (apt-get install nsd knot dnsperf bind9-dnsutils sqlite3)")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query_soa(port, timeout=0.2):
    """One SOA query over UDP; the serial, or None."""
    qid = random.randrange(65536)
    name = b"".join(bytes([len(p)]) + p.encode() for p in ZONE.split(".")) + b"\0"
    msg = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + name + struct.pack(">HH", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(msg, ("127.0.0.1", port))
            data, _ = s.recvfrom(4096)
        except OSError:
            return None
    if len(data) < 12 or struct.unpack(">H", data[:2])[0] != qid:
        return None
    ancount = struct.unpack(">H", data[6:8])[0]
    if ancount == 0:
        return None
    return True


def dig_short(port, name, rtype="A"):
    out = subprocess.run(
        ["dig", "@127.0.0.1", "-p", str(port), "+short", "+norec", "+time=1", "+tries=1", name, rtype],
        capture_output=True, text=True,
    )
    return out.stdout.strip()


def pss_kib(pid):
    """PSS of a process and its descendants, KiB (shared pages counted once)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree(pid):
    pids = [pid]
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for c in out:
        pids += tree(int(c))
    return pids


def cpu_seconds(pid):
    """User + system CPU time of a process, its threads and its children so far."""
    ticks = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_answering(port, proc, limit=600):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        if query_soa(port):
            return time.monotonic() - start
        time.sleep(0.02)
    raise RuntimeError("server did not answer in time")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def build():
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "govsite"], cwd=ROOT, check=True,
                   env={**os.environ, "CARGO_TARGET_DIR": str(TARGET)})


def database(base, names):
    """A data dir holding `names` synthetic names (plus the demo's), reused across runs."""
    data = base / f"data-{names}"
    marker = data / "complete"
    if not marker.exists():
        shutil.rmtree(data, ignore_errors=True)
        t = time.monotonic()
        subprocess.run([GOVSITE, "demo", "--data-dir", data, "--scale", str(names)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"  created {names} names in {time.monotonic() - t:.0f} s", flush=True)
        marker.write_text("ok")
    return data


def export(data, path):
    with open(path, "w") as f:
        subprocess.run([GOVSITE, "zone", "export", "--zone", "政务", "--data-dir", data],
                       check=True, stdout=f, stderr=subprocess.DEVNULL)


def query_file(zone_file, path, count=200_000, seed=7):
    """70% present names (A), 20% absent names, 10% names below delegations."""
    present, delegated = [], []
    for line in open(zone_file):
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "IN" and not parts[0].startswith(ZONE):
            if parts[3] == "A" and not parts[0].startswith("ns1."):
                present.append(parts[0])
            elif parts[3] == "NS":
                delegated.append(parts[0])
    present = sorted(set(present))
    delegated = sorted(set(delegated))
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for _ in range(count):
            r = rnd.random()
            if r < 0.7:
                f.write(f"{rnd.choice(present)} A\n")
            elif r < 0.9:
                f.write(f"xn--absent{rnd.randrange(10**9)}.{ZONE}. A\n")
            else:
                f.write(f"www.{rnd.choice(delegated)} A\n")
    return len(present), len(delegated)


def dnsperf(port, queries, seconds):
    out = subprocess.run(
        ["taskset", "-c", "0", "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries,
         "-l", str(seconds), "-c", "8", "-T", "1", "-q", "500"],
        capture_output=True, text=True,
    ).stdout
    qps = lost = None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Queries per second:"):
            qps = float(line.split()[-1])
        if line.startswith("Queries lost:"):
            lost = line.split(":", 1)[1].strip()
    if qps is None:
        raise RuntimeError(f"dnsperf printed no result:\n{out}")
    return qps, lost


def pinned(cmd):
    return ["taskset", "-c", "1", *map(str, cmd)]


def start_govsite(data, port):
    return subprocess.Popen(
        pinned([GOVSITE, "serve", "--roles", "dns", "--data-dir", data, "--dns", f"127.0.0.1:{port}",
                "--dns-udp-threads", "1"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def start_nsd(work, zone_file, port):
    d = work / "nsd"
    d.mkdir()
    shutil.copy(zone_file, d / "zone")
    conf = d / "nsd.conf"
    conf.write_text(f"""server:
    ip-address: 127.0.0.1@{port}
    username: ""
    chroot: ""
    zonesdir: "{d}"
    database: ""
    pidfile: "{d}/nsd.pid"
    xfrdfile: "{d}/xfrd.state"
    zonelistfile: "{d}/zone.list"
    server-count: 1
    logfile: "{d}/nsd.log"
    # Response rate limiting is on by default in Debian's NSD; one load generator on
    # loopback would be rate limited, so it is off (govsite and Knot have none either).
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: {ZONE}
    zonefile: "zone"
""")
    return subprocess.Popen(pinned(["nsd", "-d", "-c", conf]), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def start_knot(work, zone_file, port):
    d = work / "knot"
    d.mkdir()
    shutil.copy(zone_file, d / f"{ZONE}.zone")
    conf = d / "knot.conf"
    conf.write_text(f"""server:
    listen: 127.0.0.1@{port}
    rundir: "{d}"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "{d}"
log:
  - target: "{d}/knot.log"
    any: warning
template:
  - id: default
    storage: "{d}"
    file: "%s.zone"
    journal-content: none
    zonefile-sync: -1
zone:
  - domain: {ZONE}
""")
    return subprocess.Popen(pinned(["knotd", "-c", conf]), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def measure(name, start, port, queries, seconds):
    proc = start(port)
    try:
        up = wait_answering(port, proc)
        # Warm up, then measure.
        dnsperf(port, queries, 2)
        cpu = cpu_seconds(proc.pid)
        qps, lost = dnsperf(port, queries, seconds)
        cpu = cpu_seconds(proc.pid) - cpu
        mem = pss_kib(proc.pid)
    finally:
        stop(proc)
    per_cpu = qps * seconds / cpu if cpu > 0 else float("nan")
    print(f"  {name:8} {qps:12,.0f} q/s {per_cpu:12,.0f} q/CPU-s {cpu / seconds * 100:5.0f}% CPU"
          f" {mem / 1024:8.1f} MiB   (lost {lost}; answering {up:.1f} s after start)", flush=True)
    return qps, mem, up, per_cpu


def change_latency(data, port, rounds=20):
    """Seconds from a committed address change (SQLite, another process) to the new answer."""
    proc = start_govsite(data, port)
    try:
        wait_answering(port, proc)
        db = sqlite3.connect(data / "govsite.db", timeout=30)
        row = db.execute("SELECT id, ace FROM domains WHERE plan = 'resolve' AND state = 'active' "
                         "AND ace LIKE 'xn--%' ORDER BY id DESC LIMIT 1").fetchone()
        did, ace = row
        lat = []
        for i in range(rounds):
            addr = f"203.0.113.{i + 1}"
            db.execute("UPDATE domains SET ipv4 = ? WHERE id = ?", (addr, did))
            db.commit()
            t = time.monotonic()
            while dig_short(port, ace + ".") != addr:
                if time.monotonic() - t > 10:
                    raise RuntimeError("change not answered within 10 s")
                time.sleep(0.005)
            lat.append(time.monotonic() - t)
            time.sleep(0.1)
        db.close()
    finally:
        stop(proc)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=200_000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--startup-names", type=int, default=0)
    ap.add_argument("--startup-only", action="store_true")
    args = ap.parse_args()
    need("nsd", "knotd", "dnsperf", "dig", "taskset", "cargo")
    base = Path(os.environ.get("BENCH_DIR", Path.home() / "govsite-bench"))
    base.mkdir(parents=True, exist_ok=True)
    print("building govsite (release)", flush=True)
    build()
    if not args.startup_only:
        compare(base, args)
    if args.startup_names:
        startup(base, args.startup_names)


def compare(base, args):
    print(f"database with {args.names} synthetic names", flush=True)
    data = database(base, args.names)
    with tempfile.TemporaryDirectory(prefix="dnsbench-") as tmp:
        work = Path(tmp)
        zone_file = work / "zone.txt"
        export(data, zone_file)
        records = sum(1 for _ in open(zone_file))
        present, delegated = query_file(zone_file, work / "queries.txt")
        print(f"zone: {records} lines, {present} names with addresses, {delegated} delegations", flush=True)
        queries = str(work / "queries.txt")
        results = {}
        port = free_port()
        results["govsite"] = measure("govsite", lambda p: start_govsite(data, p), port, queries, args.seconds)
        results["NSD"] = measure("NSD", lambda p: start_nsd(work, zone_file, p), free_port(), queries,
                                 args.seconds)
        results["Knot"] = measure("Knot", lambda p: start_knot(work, zone_file, p), free_port(), queries,
                                  args.seconds)
        g = results["govsite"]
        for peer in ("NSD", "Knot"):
            p = results[peer]
            print(f"  govsite/{peer}: {g[0] / p[0]:.2f}x queries per second, "
                  f"{g[3] / p[3]:.2f}x queries per CPU-second, {g[1] / p[1]:.2f}x memory")
        faster = max(results["NSD"][0], results["Knot"][0])
        print(f"  govsite / faster peer: {g[0] / faster:.2f}x queries per second")
        lat = change_latency(data, free_port())
        print(f"change → answer: median {statistics.median(lat) * 1000:.0f} ms, "
              f"max {max(lat) * 1000:.0f} ms over {len(lat)} changes")


def startup(base, names):
    print(f"database with {names} synthetic names (start-up)", flush=True)
    big = database(base, names)
    port = free_port()
    proc = start_govsite(big, port)
    try:
        up = wait_answering(port, proc, limit=1800)
        mem = pss_kib(proc.pid)
    finally:
        stop(proc)
    print(f"start-up to first answer with {names} names: {up:.1f} s, {mem / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
