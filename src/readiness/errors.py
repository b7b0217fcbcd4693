"""The one error hierarchy of Readiness.

Every error a user can cause is a :class:`ReadinessError`; the CLI prints its message on one line
and exits 2, the server maps it to a status code and the JSON error shape
``{"error": {"code": ..., "message": ..., "details": {...}}}``.

::

    ReadinessError                      code            HTTP
    ├── ConfigError                     config          500 (server) / exit 2 (CLI)
    ├── InputError                      invalid_input   400
    │   ├── JUnitParseError             junit_invalid   400
    │   └── JUnitReportsError           junit_invalid   400
    ├── NotFoundError                   not_found       404
    ├── ConflictError                   conflict        409
    ├── AuthError                       unauthorized    401
    │   ├── PermissionDeniedError       forbidden       403
    │   └── WebhookSignatureError       bad_signature   401
    ├── StorageError                    storage         503
    ├── RemoteError                     remote          502
    ├── GateError                       gate_error      500 (a check could not run: exit 2)
    ├── PrivacyError                    privacy_invalid 400 (a sealed value does not open)
    ├── LedgerError                     ledger_invalid  400 (exit 1 from `audit verify`)
    │   ├── ProofError                  proof_invalid   400
    │   ├── NoteFormatError             note_malformed  400
    │   ├── KeyFormatError              key_malformed   400
    │   ├── SignatureError              signature_invalid 400
    │   ├── CheckpointFormatError       checkpoint_malformed 400
    │   └── TileFormatError             tile_malformed  400
    └── ContractsError                  contracts       400 (+ the Confluent error_code)
        ├── SchemaInvalidError          schema_invalid  422 (42201)
        ├── SubjectNotFoundError        subject_not_found 404 (40401)
        ├── VersionNotFoundError        version_not_found 404 (40402)
        ├── SchemaNotFoundError         schema_not_found 404 (40403)
        ├── IncompatibleSchemaError     schema_incompatible 409 (409)
        └── GovernanceRefusedError      schema_governance_refused 409 (409)

Messages say what was expected, what arrived and how to fix it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ReadinessError(Exception):
    """Root of every error Readiness raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return self.message


class ConfigError(ReadinessError):
    """The configuration file or a READINESS_* variable is invalid."""

    code = "config"


class InputError(ReadinessError):
    """User input (a file, an argument, a request body) is malformed."""

    code = "invalid_input"
    http_status = 400


class ReservedSourceError(InputError):
    """An application event claims a ``source`` reserved for the platform's own events
    (``readiness``, ``readiness.*``): refused whole, 422 over HTTP."""

    http_status = 422


class JUnitParseError(InputError):
    """A JUnit XML file could not be parsed; the message names file, line and problem."""

    code = "junit_invalid"

    def __init__(self, source: str, line: int | None, problem: str) -> None:
        where = f"{source} line {line}" if line is not None else source
        super().__init__(
            f"JUnit XML {where}: {problem}; nothing from this file was ingested",
            details={"source": source, "line": line, "problem": problem},
        )
        self.source = source
        self.line = line
        self.problem = problem


class JUnitReportsError(InputError):
    """Some JUnit XML files of one ingest could not be parsed; the message names each one, and
    none of the files was ingested."""

    code = "junit_invalid"


class NotFoundError(ReadinessError):
    """A named object does not exist."""

    code = "not_found"
    http_status = 404


class ConflictError(ReadinessError):
    """The request conflicts with the current state."""

    code = "conflict"
    http_status = 409


class RetentionRefusedError(ConflictError):
    """A retention policy forbids the action yet (audit prune before a framework's period)."""

    code = "retention_refused"


class AuthError(ReadinessError):
    """Missing or invalid credentials."""

    code = "unauthorized"
    http_status = 401


class PermissionDeniedError(AuthError):
    """Valid credentials whose role does not allow the action."""

    code = "forbidden"
    http_status = 403


class WebhookSignatureError(AuthError):
    """A webhook delivery's signature is missing, wrong or too old (``notify.verify_signature``)."""

    code = "bad_signature"


class StorageError(ReadinessError):
    """The database is unreachable or its schema is not what this version expects."""

    code = "storage"
    http_status = 503


class RemoteError(ReadinessError):
    """A Readiness server answered with an error or could not be reached."""

    code = "remote"
    http_status = 502


class GateError(ReadinessError):
    """A gate check could not run because its environment is broken (not a failed check)."""

    code = "gate_error"


class PrivacyError(ReadinessError):
    """The audit trail's privacy layer refused: a sealed value or a wrapped key of the identity
    vault does not authenticate (altered, moved to another event, or another vault key)."""

    code = "privacy_invalid"
    http_status = 400


class LedgerError(ReadinessError):
    """A ledger proof, note, key, checkpoint or tile was refused: malformed or not verifying.

    Everything the tamper-evident ledger refuses is one of these, so ``audit verify`` can report
    every refusal the same way; the subclass says which kind of object was refused.
    """

    code = "ledger_invalid"
    http_status = 400


class ProofError(LedgerError):
    """A Merkle inclusion or consistency proof is malformed, out of range or does not verify."""

    code = "proof_invalid"


class NoteFormatError(LedgerError):
    """A signed note (c2sp.org/signed-note) is not well formed."""

    code = "note_malformed"


class KeyFormatError(LedgerError):
    """A verifier or signer key string, or a key name, is not well formed."""

    code = "key_malformed"


class SignatureError(LedgerError):
    """A signature from a known key does not verify, or no known key signed the note."""

    code = "signature_invalid"


class CheckpointFormatError(LedgerError):
    """A checkpoint body (c2sp.org/tlog-checkpoint) is not well formed."""

    code = "checkpoint_malformed"


class TileFormatError(LedgerError):
    """A tile path, tile or entry bundle (c2sp.org/tlog-tiles) is not well formed."""

    code = "tile_malformed"


class WitnessError(LedgerError):
    """A witness refused a checkpoint, could not be reached, or a publication failed."""

    code = "witness_failed"
    http_status = 502


class ContractsError(ReadinessError):
    """Contracts and schemas (readiness.contracts); ``registry_code`` is the Confluent Schema
    Registry ``error_code`` the registry's REST surface answers with."""

    code = "contracts"
    http_status = 400
    registry_code: ClassVar[int] = 50001


class SchemaInvalidError(ContractsError, InputError):
    """A schema does not parse as JSON Schema or Avro (Confluent 42201)."""

    code = "schema_invalid"
    http_status = 422
    registry_code = 42201


class SubjectNotFoundError(ContractsError, NotFoundError):
    """No schema is registered under the subject (Confluent 40401)."""

    code = "subject_not_found"
    http_status = 404
    registry_code = 40401


class VersionNotFoundError(ContractsError, NotFoundError):
    """The subject has no such version (Confluent 40402)."""

    code = "version_not_found"
    http_status = 404
    registry_code = 40402


class SchemaNotFoundError(ContractsError, NotFoundError):
    """No schema has this id, or the subject does not hold this schema (Confluent 40403)."""

    code = "schema_not_found"
    http_status = 404
    registry_code = 40403


class IncompatibleSchemaError(ContractsError, ConflictError):
    """A new version breaks the subject's compatibility mode (Confluent 409)."""

    code = "schema_incompatible"
    http_status = 409
    registry_code = 409


class GovernanceRefusedError(ContractsError, ConflictError):
    """Schema governance refuses a registration: a breaking or meaning change without a
    changelog naming the affected consumers, or a field removed before its deprecation cycle
    ended (409)."""

    code = "schema_governance_refused"
    http_status = 409
    registry_code = 409


class SubjectSoftDeletedError(ContractsError, NotFoundError):
    """The subject's versions are all soft deleted already (Confluent 40404)."""

    code = "subject_soft_deleted"
    http_status = 404
    registry_code = 40404


class SubjectNotSoftDeletedError(ContractsError, NotFoundError):
    """A permanent delete of a subject not soft deleted first (Confluent 40405)."""

    code = "subject_not_soft_deleted"
    http_status = 404
    registry_code = 40405


class VersionSoftDeletedError(ContractsError, NotFoundError):
    """The version is soft deleted already (Confluent 40406)."""

    code = "version_soft_deleted"
    http_status = 404
    registry_code = 40406


class VersionNotSoftDeletedError(ContractsError, NotFoundError):
    """A permanent delete of a version not soft deleted first (Confluent 40407)."""

    code = "version_not_soft_deleted"
    http_status = 404
    registry_code = 40407


class ReferenceExistsError(ContractsError, ConflictError):
    """A version another live schema references cannot be deleted (Confluent 42206)."""

    code = "schema_referenced"
    http_status = 422
    registry_code = 42206
