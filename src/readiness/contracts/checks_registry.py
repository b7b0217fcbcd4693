"""Gate check ``contracts.schemas_compatible`` (merge gate): the event schemas in the repository
are compatible with the registry's latest version under each subject's mode, the consumers each
change affects are listed, and a breaking or meaning change carries its changelog.

Schema files come from ``[tool.readiness.contracts]``: ``schemas = {subject = "path"}`` or
``schemas_dir`` (every ``*.json`` and ``*.avsc`` file, subject = the file name without its
suffix). A change's changelog is the file next to the schema named ``<stem>.changelog.md``.
The check reads ``context.services["contracts_schemas"]`` (a
:class:`~readiness.contracts.schemas.governance.SchemaGovernance`). No registry is a FAIL for
missing evidence; a subject the registry does not know passes as a new subject.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from readiness.errors import ReadinessError
from readiness.gate.model import Check, CheckResult, CheckStatus, Gate, GateContext

SERVICE_NAME = "contracts_schemas"
SUFFIXES = (".json", ".avsc")
REMEDIATION = (
    "Make the schema compatible under the subject's mode, or write <schema>.changelog.md naming "
    "every affected consumer (and deprecate a field for a full cycle before removing it); "
    "`readiness schemas check SUBJECT FILE` explains each reason"
)


def schema_files(root: Path, schemas: dict[str, str], directory: str | None) -> dict[str, Path]:
    """Subject -> schema file: the configured mapping, then the directory convention."""
    found = {subject: root / path for subject, path in schemas.items()}
    if directory:
        base = root / directory
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if path.suffix in SUFFIXES and not path.name.endswith(".changelog.md"):
                    found.setdefault(path.stem, path)
    return found


def changelog_of(path: Path) -> str | None:
    candidate = path.with_name(path.stem + ".changelog.md")
    return candidate.read_text(encoding="utf-8") if candidate.is_file() else None


class SchemasCompatibleCheck:
    """The repository's event schemas may be registered: compatible, governed, consumers named."""

    id: str = "contracts.schemas_compatible"
    title: str = "Event schemas compatible with the registry (consumers affected listed)"
    checklist_item: str = "Schema changes are backward compatible or versioned with a changelog"
    gates: tuple[Gate, ...] = (Gate.MERGE,)

    def run(self, context: GateContext) -> CheckResult:
        settings = context.settings.contracts
        files = schema_files(context.root, settings.schemas, settings.schemas_dir)
        if not files:
            return CheckResult(
                CheckStatus.SKIP,
                "No event schemas configured ([tool.readiness.contracts] schemas or schemas_dir)",
            )
        governance: Any = context.services.get(SERVICE_NAME)
        if governance is None:
            return CheckResult(
                CheckStatus.FAIL,
                "No schema registry to compare with (contracts_schemas service)",
                {"subjects": sorted(files)},
                remediation="Run the gate with the project's state database or against its server",
                missing_evidence=True,
            )
        subjects: dict[str, Any] = {}
        failed: list[str] = []
        for subject, path in sorted(files.items()):
            try:
                outcome = _one(governance, subject, path)
            except ReadinessError as exc:
                outcome = {"status": "fail", "summary": f"{path.name}: {exc.message}"}
            subjects[subject] = outcome
            if outcome["status"] == "fail":
                failed.append(subject)
        evidence = {"subjects": subjects}
        if failed:
            lines = "; ".join(f"{s}: {subjects[s]['summary']}" for s in failed)
            return CheckResult(
                CheckStatus.FAIL,
                f"{len(failed)} of {len(files)} schemas fail: {lines}",
                evidence,
                remediation=REMEDIATION,
            )
        return CheckResult(
            CheckStatus.PASS,
            f"{len(files)} schemas compatible: "
            + "; ".join(f"{s}: {subjects[s]['summary']}" for s in sorted(subjects)),
            evidence,
        )


def _one(governance: Any, subject: str, path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return {"status": "fail", "summary": f"{path}: {exc.strerror or exc}"}
    kind = "AVRO" if path.suffix == ".avsc" else "JSON"
    evaluation = governance.evaluate(subject, text, kind, changelog_of(path))
    base = {"file": str(path), "affected_consumers": evaluation.affected}
    if evaluation.new_subject:
        return {**base, "status": "pass", "summary": "new subject"}
    if governance.registered_version(subject, text, kind) is not None:
        return {**base, "status": "pass", "summary": "unchanged"}
    problems = evaluation.problems()
    who = ", ".join(evaluation.affected) or "none"
    if problems:
        return {
            **base,
            "status": "fail",
            "summary": f"{problems[0]} (consumers affected: {who})",
            "messages": evaluation.messages(),
        }
    return {
        **base,
        "status": "pass",
        "summary": f"compatible ({evaluation.mode}; consumers affected: {who})",
        "messages": evaluation.messages(),
    }


CHECKS: list[Check] = [SchemasCompatibleCheck()]


def gate_services(settings: Any, stores: Any) -> dict[str, Any]:
    """What a ``readiness_gate_services`` hook returns for this check: the project's governed
    registry, the local one or, for a gate against a server (``READINESS_URL``), the server's
    (nothing else: the check then fails for missing evidence)."""
    if stores is None:
        if not settings.is_remote:
            return {}
        from readiness.contracts.schemas.remote import RemoteGovernance

        remote = RemoteGovernance(str(settings.url), settings.resolved_token(), settings.project)
        return {SERVICE_NAME: remote}
    from readiness._common.clock import SystemClock
    from readiness.contracts.schemas.governance.service import SchemaGovernance
    from readiness.contracts.schemas.service import SchemaRegistry

    registry = SchemaRegistry(stores, SystemClock(), settings.project, actor="gate")
    return {SERVICE_NAME: SchemaGovernance(registry, settings.contracts)}
