"""The example app's own test suite, run by test_coverage.py in a subprocess with
READINESS_AUDIT_OBSERVED set: what `readiness audit coverage --observed` reads.

Not collected by the main suite (its name does not start with ``test_``).
"""

from __future__ import annotations

import warnings

from starlette.exceptions import StarletteDeprecationWarning

from tests.audit.capture.example_app import app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

BOB = {"Authorization": "Bearer t-bob"}
ALICE = {"Authorization": "Bearer t-alice"}


def test_clinic_routes() -> None:
    client = TestClient(app)
    assert client.post("/login", json={"token": "t-bob"}).status_code == 200
    assert client.get("/patients/p1", headers=BOB).status_code == 200
    assert client.put("/patients/p1", json={"diagnosis": "x"}, headers=BOB).status_code == 200
    assert client.post("/admin/users/u1/roles", headers=ALICE).status_code == 200
    assert client.get("/exports/patients", headers=BOB).status_code == 200
    assert client.put("/settings/retention", json={"days": 30}, headers=ALICE).status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/items").status_code == 200
