"""The privacy layer's costs per event, on an embedded (SQLite) vault.

- ``seal``: ``seal_fields`` of one e-mail in ``before`` and ``after`` (two AES-256-GCM values),
  validation included, for ``--events`` events of ``--subjects`` subjects; ``open``: the reading
  side on the same events; the peer measured in the same run is the same events' validation and
  canonical serialisation alone (what an unsealed event costs).
- ``register``: new subjects per second (one row each: keyed index, wrapped identity and key).
- ``ip_hmac``: keyed IP hashes per second (the key fetched each time, as ``hash_ip`` does).

Prints one JSON line.

    .venv/bin/python benchmarks/audit_privacy.py
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from readiness._common.clock import FrozenClock
from readiness.audit.events import entry_bytes, validate_event
from readiness.audit.privacy.sealing import open_fields, seal_fields
from readiness.audit.privacy.vault import Vault, open_vault_engine


def event(n: int, actor: str) -> dict[str, object]:
    return {
        "actor_id": actor,
        "actor_type": "customer",
        "action": "profile.update",
        "target_type": "profile",
        "target_id": f"prof_{n}",
        "before": {"email": f"old{n}@example.org", "plan": "free"},
        "after": {"email": f"new{n}@example.org", "plan": "pro"},
        "result": "success",
        "occurred_at": "2026-04-10T14:23:01Z",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--subjects", type=int, default=1_000)
    args = parser.parse_args()
    clock = FrozenClock(datetime(2026, 4, 10, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_vault_engine(f"sqlite:///{Path(tmp) / 'vault.db'}")
        vault = Vault(engine, bytes(range(32)), clock)

        start = time.perf_counter()
        pseudonyms = [
            vault.register(f"user{i}@example.org").pseudonym for i in range(args.subjects)
        ]
        register_s = time.perf_counter() - start

        events = [event(n, pseudonyms[n % args.subjects]) for n in range(args.events)]
        start = time.perf_counter()
        plain = [entry_bytes(validate_event(e)) for e in events]
        peer_s = time.perf_counter() - start

        start = time.perf_counter()
        sealed = [seal_fields(e, str(e["actor_id"]), ["email"], vault=vault) for e in events]
        sealed_bytes = [entry_bytes(e) for e in sealed]
        seal_s = time.perf_counter() - start

        start = time.perf_counter()
        opened = [open_fields(e, vault=vault) for e in sealed]
        open_s = time.perf_counter() - start
        assert opened[0]["after"]["email"] == "new0@example.org"

        start = time.perf_counter()
        for i in range(args.events):
            vault.hash_ip(f"198.51.{i % 256}.{i // 256 % 256}")
        ip_s = time.perf_counter() - start
        engine.dispose()
    print(
        json.dumps(
            {
                "benchmark": "audit_privacy",
                "events": args.events,
                "subjects": args.subjects,
                "register_per_s": round(args.subjects / register_s),
                "seal_events_per_s": round(args.events / seal_s),
                "open_events_per_s": round(args.events / open_s),
                "peer_unsealed_events_per_s": round(args.events / peer_s),
                "sealed_bytes_per_event": round(sum(map(len, sealed_bytes)) / args.events),
                "plain_bytes_per_event": round(sum(map(len, plain)) / args.events),
                "ip_hmac_per_s": round(args.events / ip_s),
            }
        )
    )


if __name__ == "__main__":
    main()
