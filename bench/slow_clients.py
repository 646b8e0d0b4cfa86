#!/usr/bin/env python3
"""Hostile clients against a local Roster, for before/after figures of the edge limits.

  slow_clients.py half-headers --pid PID [--connections 1000] [--wait 65]
      opens connections that send half a request header and stop; after --wait seconds prints
      how many the server still holds open, its file descriptors and its VmRSS.
  slow_clients.py huge-body
      POSTs a Content-Length of 100 GB and sends no body; prints how long the answer took.
  slow_clients.py wrong-keys [--seconds 5] [--concurrency 32] [--flood-key KEY]
      sends GET /v1/users with a wrong key (or --flood-key) for --seconds; prints the count
      of each status.

Only loopback addresses are accepted as --host: this is a load tool for a server you run.
"""

import argparse
import asyncio
import ipaddress
import socket
import sys
import time
from collections import Counter


def loopback(host):
    address = ipaddress.ip_address(socket.gethostbyname(host))
    if not address.is_loopback:
        sys.exit(f"{host} is not a loopback address")
    return str(address)


def process_figures(pid):
    fds = len(list(__import__("os").listdir(f"/proc/{pid}/fd")))
    rss = next(
        line.split(":", 1)[1].strip()
        for line in open(f"/proc/{pid}/status")
        if line.startswith("VmRSS")
    )
    return fds, rss


def still_open(sock):
    """Whether the server has not closed this connection (nothing to read yet)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def half_headers(args):
    host = loopback(args.host)
    print("before:", "fds=%d VmRSS=%s" % process_figures(args.pid))
    sockets = []
    failed = 0
    for _ in range(args.connections):
        try:
            sock = socket.create_connection((host, args.port), timeout=5)
            sock.sendall(b"GET /v1/users HTTP/1.1\r\nHost: localhost\r\nX-Half: ")
            sockets.append(sock)
        except OSError:
            # A server at its connection cap with a full listen queue lets connects time out.
            failed += 1
    print(f"opened {len(sockets)} half-header connections ({failed} could not connect); "
          f"waiting {args.wait} s")
    time.sleep(args.wait)
    fds, rss = process_figures(args.pid)
    open_count = sum(still_open(sock) for sock in sockets)
    print(f"after {args.wait} s: still open={open_count} fds={fds} VmRSS={rss}")
    for sock in sockets:
        sock.close()


def huge_body(args):
    host = loopback(args.host)
    sock = socket.create_connection((host, args.port))
    sock.settimeout(args.wait)
    started = time.monotonic()
    sock.sendall(
        b"POST /v1/users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + args.key.encode() + b"\r\n"
        b"Content-Length: 100000000000\r\n\r\n"
    )
    try:
        answer = sock.recv(4096)
        elapsed = time.monotonic() - started
        print(f"answered in {elapsed * 1000:.1f} ms: {answer.splitlines()[0].decode()}")
    except socket.timeout:
        print(f"no answer in {args.wait} s")


async def wrong_key_worker(host, port, key, deadline, statuses):
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        b"GET /v1/users?limit=1 HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Bearer " + key.encode() + b"\r\n\r\n"
    )
    while time.monotonic() < deadline:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        statuses[lines[0].split(" ")[1]] += 1
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        )
        await reader.readexactly(length)
    writer.close()


async def wrong_keys_async(args):
    host = loopback(args.host)
    statuses = Counter()
    deadline = time.monotonic() + args.seconds
    await asyncio.gather(
        *(wrong_key_worker(host, args.port, args.flood_key, deadline, statuses) for _ in range(args.concurrency))
    )
    total = sum(statuses.values())
    print(f"{total} requests in {args.seconds} s: " + ", ".join(
        f"{status}: {count}" for status, count in sorted(statuses.items())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["half-headers", "huge-body", "wrong-keys"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--wait", type=float, default=65)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--key", default="sk_test_any")
    parser.add_argument("--flood-key", default="sk_test_wrong_key_for_the_flood")
    args = parser.parse_args()
    if args.mode == "half-headers":
        if args.pid is None:
            sys.exit("--pid is needed to read the server's figures")
        half_headers(args)
    elif args.mode == "huge-body":
        huge_body(args)
    else:
        asyncio.run(wrong_keys_async(args))


if __name__ == "__main__":
    main()
