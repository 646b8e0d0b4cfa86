"""A webhook receiver that checks every delivery with the official `standardwebhooks` library,
and a Roster process of the test's own (so that it can be killed and started again).

Clerk sends `svix-*` headers; like `@clerk/backend`'s `verifyWebhook`, the receiver hands them to
`standardwebhooks` under their `webhook-*` names.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from roster_db import database_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """Listens on a reserved loopback port once `start()` is called."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.secret = None
        self.events = []
        self.svix_ids = []
        self.rejected = []
        self._server = None
        self._lock = threading.Lock()

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {
                    "webhook-id": self.headers.get("svix-id", ""),
                    "webhook-timestamp": self.headers.get("svix-timestamp", ""),
                    "webhook-signature": self.headers.get("svix-signature", ""),
                }
                try:
                    event = Webhook(receiver.secret).verify(body, headers)
                except (WebhookVerificationError, TypeError) as error:
                    with receiver._lock:
                        receiver.rejected.append(f"{headers['webhook-id']}: {error}")
                    self.send_response(400)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.events.append(event)
                    receiver.svix_ids.append(headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, predicate, timeout=60.0):
        """Waits until `predicate(events)` holds; fails on any badly signed delivery."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                events = list(self.events)
                rejected = list(self.rejected)
            assert not rejected, f"deliveries that failed verification: {rejected}"
            if predicate(events):
                return events
            assert time.monotonic() < deadline, f"timed out; received {[e['type'] for e in events]}"
            time.sleep(0.1)


class RosterProcess:
    """`roster serve` on a data folder of its own, with one-second retries."""

    def __init__(self, data_dir=None):
        self.binary = os.environ["SUITE_ROSTER_BIN"]
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="roster-webhooks-")
        self.key = "sk_test_" + secrets.token_hex(16)
        self.process = None
        self.url = None

    def start(self):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
        env.update(
            ROSTER_DATA_DIR=self.data_dir,
            ROSTER_ADDR=f"127.0.0.1:{port}",
            ROSTER_SECRET_KEY=self.key,
            ROSTER_WEBHOOKS__RETRY_SCHEDULE_SECONDS="[1, 1, 1, 1, 1, 1, 1]",
            ROSTER_WEBHOOKS__TIMEOUT_SECONDS="2",
            # The receivers listen on 127.0.0.1.
            ROSTER_WEBHOOKS__ALLOW_PRIVATE_TARGETS="true",
            **database_env(self.data_dir),
        )
        self.process = subprocess.Popen(
            [self.binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, "roster exited during start"
            assert time.monotonic() < deadline, "roster did not start"
            time.sleep(0.05)

    def kill(self):
        """SIGKILL: no shutdown of any kind."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()

    def api(self, method: str, path: str, body=None):
        response = httpx.request(
            method,
            f"{self.url}/v1{path}",
            headers={"Authorization": f"Bearer {self.key}"},
            content=None if body is None else json.dumps(body),
            timeout=30,
        )
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()
