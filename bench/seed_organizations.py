"""Seeds organizations with members into a running Roster that seed.py filled with users.

Usage: seed_organizations.py BASE_URL SECRET_KEY COUNT MEMBERS OUT_DIR
Reads OUT_DIR/ids.txt; creates COUNT organizations of MEMBERS members each, drawn from the
seeded users; writes OUT_DIR/member_ids.txt (users with at least one membership) and
OUT_DIR/org_terms.txt (name fragments that each match a handful of organizations).
"""

import http.client
import json
import random
import sys
import threading
import urllib.parse

WORDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent"]


def post(connection, headers, path, body):
    connection.request("POST", path, json.dumps(body), headers)
    response = connection.getresponse()
    payload = response.read()
    if response.status != 200:
        raise SystemExit(f"{path} failed with {response.status}: {payload[:300]!r}")
    return json.loads(payload)


def worker(base, key, numbers, users, members, chosen, lock):
    url = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    local = set()
    for n in numbers:
        org = post(connection, headers, "/v1/organizations",
                   {"name": f"{random.choice(WORDS)} Team {n:05d}", "max_allowed_memberships": 0})
        for user_id in random.sample(users, members):
            post(connection, headers, f"/v1/organizations/{org['id']}/memberships",
                 {"user_id": user_id, "role": "org:member"})
            local.add(user_id)
    with lock:
        chosen.update(local)


def main():
    base, key, count, members, out_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    with open(f"{out_dir}/ids.txt") as f:
        users = [line.strip() for line in f if line.strip()]
    threads, chosen, lock = [], set(), threading.Lock()
    for t in range(8):
        thread = threading.Thread(
            target=worker, args=(base, key, range(t, count, 8), users, members, chosen, lock))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    with open(f"{out_dir}/member_ids.txt", "w") as f:
        f.write("\n".join(sorted(chosen)) + "\n")
    # "Team 0123" matches the organizations numbered 01230-01239.
    with open(f"{out_dir}/org_terms.txt", "w") as f:
        f.write("\n".join(f"Team%20{n // 10:04d}" for n in random.sample(range(count), min(300, count))) + "\n")


if __name__ == "__main__":
    main()
