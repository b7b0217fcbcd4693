"""A small clinic API audited by the capture middleware: the app the capture tests drive.

``build_app(sink, ...)`` makes a fresh app around a sink; ``app`` (module level, a recording
sink) is what ``readiness audit coverage tests.audit.capture.example_app:app`` analyses, and
``bare_app`` the same routes without the middleware.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException

from readiness._common.clock import Clock
from readiness.audit.capture import (
    AuditMiddleware,
    AuditSink,
    CapturePolicy,
    RecordingSink,
    audited,
    current_audit,
    not_audited,
)

TOKENS = {"t-alice": ("usr_a1", "admin"), "t-bob": ("usr_b2", "clinician")}
PATIENTS: dict[str, dict[str, str]] = {}
POLICY = CapturePolicy(
    sensitive_resources=frozenset({"patients"}),
    sensitive_fields={"patients": ("diagnosis", "medication_list")},
    source="clinic_api",
)


def ip_hmac(ip: str) -> str:
    return "hmac-sha256:" + "ab" * 16 if ip else ""


def caller(authorization: Annotated[str | None, Header()] = None) -> tuple[str, str]:
    found = TOKENS.get((authorization or "").removeprefix("Bearer "))
    if found is None:
        raise HTTPException(401, "no valid token")
    audit = current_audit()
    if audit is not None:
        audit.set_actor(found[0], "employee")
    return found


def admin(who: Annotated[tuple[str, str], Depends(caller)]) -> tuple[str, str]:
    if who[1] != "admin":
        raise HTTPException(403, "admins only")
    return who


def routes(app: FastAPI) -> FastAPI:
    @app.post("/login", tags=["auth"])
    def login(body: dict[str, str]) -> dict[str, str]:
        if body.get("token") not in TOKENS:
            raise HTTPException(401, "bad credentials")
        return {"ok": "yes"}

    @app.get("/patients/{patient_id}")
    def read_patient(
        patient_id: str, who: Annotated[tuple[str, str], Depends(caller)]
    ) -> dict[str, str]:
        return PATIENTS.get(patient_id, {"diagnosis": "flu", "medication_list": "rest"})

    @app.put("/patients/{patient_id}")
    def write_patient(
        patient_id: str, body: dict[str, str], who: Annotated[tuple[str, str], Depends(caller)]
    ) -> dict[str, str]:
        PATIENTS[patient_id] = body
        return body

    @app.post("/admin/users/{user_id}/roles", tags=["admin"])
    @audited(action="user.role.grant", target_type="user")
    def grant(user_id: str, who: Annotated[tuple[str, str], Depends(admin)]) -> dict[str, str]:
        return {"granted": user_id}

    @app.get("/exports/patients")
    def export_patients(who: Annotated[tuple[str, str], Depends(caller)]) -> list[Any]:
        return list(PATIENTS.values())

    @app.put("/settings/retention")
    def set_retention(
        body: dict[str, int], who: Annotated[tuple[str, str], Depends(admin)]
    ) -> dict[str, int]:
        return body

    @app.get("/health")
    @not_audited("liveness probe, polled every second")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/items")
    def items() -> list[str]:
        return ["a"]

    @app.post("/boom/{n}")
    def boom(n: int) -> dict[str, int]:
        raise RuntimeError(f"boom {n}")

    return app


def build_app(
    sink: AuditSink,
    *,
    clock: Clock | None = None,
    fail_closed: bool = False,
    policy: CapturePolicy = POLICY,
    observed: str | None = None,
) -> FastAPI:
    app = routes(FastAPI())
    app.add_middleware(
        AuditMiddleware,
        sink=sink,
        policy=policy,
        clock=clock,
        ip_hmac=ip_hmac,
        fail_closed=fail_closed,
        request_ids=lambda: "req-1",
        observed=observed,
    )
    return app


app = build_app(RecordingSink())
bare_app = routes(FastAPI())
