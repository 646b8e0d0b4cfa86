#!/usr/bin/env python3
"""Memory and CPU of password hashing, measured on a real `roster serve` over loopback.

Starts the server binary with a fresh data folder (SQLite), then:

* burst: records its idle RSS (VmRSS), fires COUNT concurrent `POST /v1/users` with passwords,
  waits for every answer, sleeps a few seconds and prints RSS before, peak and after;
* phpass: imports a phpass digest at 2^13 rounds and sends one wrong 400 KB password to
  `verify_password`, printing the server's CPU seconds (utime + stime from /proc/PID/stat)
  spent on that request and the answer's status.

Usage: bench/password_burst.py [--bin target/debug/roster] [--count 100] [--threads 2]
       [--settle 5] [--skip-burst] [--skip-phpass] [--env NAME=VALUE ...]
The debug build is fine: argon2 and the digest crates are built at opt-level 3 even there.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

# The server refuses a configured key with fewer than 32 characters after the prefix.
KEY = "sk_test_password_burst_bench_0123456789abcdef"
# A WordPress-style phpass digest at 2^13 rounds (the password is not the one sent).
PHPASS_2_13 = "$P$Bx/ltca0/z0GV/g7ep2xYlKD7Lnn0M0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def request(base, method, path, body=None, timeout=300):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {KEY}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def start(binary, threads, data_dir, extra_env=()):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ROSTER_DATA_DIR": data_dir,
        "ROSTER_ADDR": f"127.0.0.1:{port}",
        "ROSTER_SECRET_KEY": KEY,
        "ROSTER_LOG": "warn",
        "ROSTER_INSTANCE__PASSWORD_HASHING__THREADS": str(threads),
        # Every sign-up of the burst is meant to be hashed, none refused for waiting.
        "ROSTER_INSTANCE__PASSWORD_HASHING__MAX_WAIT_MS": "600000",
    }
    env.update(item.split("=", 1) for item in extra_env)
    server = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("roster did not start serving")


def burst(pid, base, count, settle):
    time.sleep(1)
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()

    def sign_up(i):
        status, _ = request(base, "POST", "/v1/users", {
            "email_address": [f"burst{i}@example.com"],
            "password": f"Correct-Horse-Battery-{i}-Staple",
            "skip_password_checks": True,
        })
        return status

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        statuses = list(pool.map(sign_up, range(count)))
    elapsed = time.monotonic() - started
    time.sleep(settle)
    done.set()
    sampler.join()
    after = rss_kib(pid)
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"burst: {count} sign-ups in {elapsed:.1f} s, statuses {counts}")
    print(f"RSS before {before / 1024:.1f} MiB, peak {peak[0] / 1024:.1f} MiB, "
          f"after {settle} s {after / 1024:.1f} MiB")
    bound = 2 * before + 64 * 1024
    print(f"bound 2 x before + 64 MiB = {bound / 1024:.1f} MiB: "
          f"{'within' if after <= bound else 'EXCEEDED'}")


def phpass(pid, base):
    status, user = request(base, "POST", "/v1/users", {
        "email_address": ["phpass@example.com"],
        "password_digest": PHPASS_2_13,
        "password_hasher": "phpass",
    })
    if status != 200:
        sys.exit(f"phpass import answered {status}: {user}")
    wrong = "x" * 400_000
    cpu_before = cpu_seconds(pid)
    started = time.monotonic()
    status, body = request(base, "POST", f"/v1/users/{user['id']}/verify_password",
                           {"password": wrong})
    elapsed = time.monotonic() - started
    time.sleep(0.2)
    cpu = cpu_seconds(pid) - cpu_before
    code = (body or {}).get("errors", [{}])[0].get("code") if isinstance(body, dict) else None
    print(f"phpass 2^13, wrong 400 KB password: {status} {code}, "
          f"server CPU {cpu:.2f} s, wall {elapsed:.2f} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="target/debug/roster")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settle", type=int, default=5)
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--skip-phpass", action="store_true")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra variable for the server (e.g. LD_PRELOAD=...)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="roster-burst-")
    server, base = start(args.bin, args.threads, data_dir, args.env)
    try:
        if not args.skip_burst:
            burst(server.pid, base, args.count, args.settle)
        if not args.skip_phpass:
            phpass(server.pid, base)
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
