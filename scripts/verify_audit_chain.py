#!/usr/bin/env python3
"""Recompute the audit chain of a running service from its public API alone.

    python3 scripts/verify_audit_chain.py http://127.0.0.1:3000

Standard library only. Exit 0 when every hash verifies and the last one equals
/v1/audit/head; 1 naming the first broken entry otherwise.

The canonical form (see README, "Verifying the audit chain"): the entry's
members other than `hash` (seq, recordedAt, actor, action, entityType,
entityId, before, after, prevHash) as JSON with keys sorted, no whitespace,
non-ASCII characters unescaped, encoded as UTF-8; hash = hex SHA-256 of it.
The first entry's prevHash is 64 zeros.
"""
import hashlib
import json
import sys
import urllib.request


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fetch(url):
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def main(base):
    prev, after, count = "0" * 64, 0, 0
    while True:
        page = fetch(f"{base}/v1/audit?after={after}&limit=1000")
        for entry in page["data"]:
            body = {k: v for k, v in entry.items() if k != "hash"}
            digest = hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
            if entry["prevHash"] != prev or digest != entry["hash"]:
                print(f"BROKEN at seq {entry['seq']}")
                return 1
            prev, count = entry["hash"], count + 1
        after = page["nextAfter"]
        if not page["hasMore"]:
            break
    head = fetch(f"{base}/v1/audit/head")
    if head["hash"] != prev:
        print(f"head {head['seq']} does not match the last entry read")
        return 1
    print(f"OK: {count} entries, head {head['seq']} {prev}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:3000"))
