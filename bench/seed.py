"""Seeds a running Roster with users over its HTTP API and writes their ids and search terms.

Usage: seed.py BASE_URL SECRET_KEY COUNT OUT_DIR
Writes OUT_DIR/ids.txt (one user id a line) and OUT_DIR/terms.txt (substring search terms that
each match a handful of users).
"""

import http.client
import json
import random
import sys
import threading
import urllib.parse

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Wirth"]


def worker(base, key, numbers, ids, lock):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    local = []
    for n in numbers:
        body = {
            "email_address": [f"member{n}.{random.randrange(10**6):06d}@domain{n % 97}.example"],
            "username": f"member{n}x",
            "first_name": random.choice(FIRST),
            "last_name": random.choice(LAST),
            "public_metadata": {"plan": random.choice(["free", "pro"]), "seq": n},
        }
        connection.request("POST", "/v1/users", json.dumps(body), headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"seeding failed with {response.status}: {payload[:300]!r}")
        local.append(json.loads(payload)["id"])
    with lock:
        ids.extend(local)


def main():
    base, key, count, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    threads, ids, lock = [], [], threading.Lock()
    for t in range(8):
        numbers = range(t, count, 8)
        thread = threading.Thread(target=worker, args=(base, key, numbers, ids, lock))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    with open(f"{out_dir}/ids.txt", "w") as f:
        f.write("\n".join(ids) + "\n")
    # "member12345x" matches one username; "mber1234" matches about eleven users.
    sample = random.sample(range(count), 500)
    with open(f"{out_dir}/terms.txt", "w") as f:
        f.write("\n".join(f"mber{n // 10}" for n in sample) + "\n")


if __name__ == "__main__":
    main()
