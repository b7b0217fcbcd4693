"""Settings: ``[tool.readiness]`` in ``pyproject.toml`` or ``readiness.toml``, then ``READINESS_*``.

Precedence (last wins): defaults, the file, environment variables. Nested sections are reached
from the environment with a double underscore: ``READINESS_TESTHEALTH__FLIP_ACTIVATION=0.3``.
Secrets never live in the file: it names the files that hold them (``secret_key_file``).
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from readiness._common import speedups
from readiness._common.project_names import project_name_from, validate_project_name
from readiness._common.words import shown
from readiness.errors import ConfigError, InputError

ENV_PREFIX = "READINESS_"
# Variables with the prefix that are not settings: who acts (audit), the test database, the
# file the audit capture middleware records routes to during an app's test run, tracebacks on,
# the C accelerator off.
NOT_SETTINGS = frozenset(
    {
        "READINESS_ACTOR",
        "READINESS_TEST_PG_URL",
        "READINESS_DEBUG",
        "READINESS_AUDIT_OBSERVED",
        speedups.OFF_SWITCH,
    }
)


class TestHealthSettings(BaseModel):
    """Thresholds of flaky-test detection; each is explained in docs/testhealth.md."""

    __test__ = False  # not a pytest test class
    model_config = ConfigDict(extra="forbid")

    quarantine_file: str = ".readiness/quarantine.toml"
    codeowners_file: str | None = None
    window_runs: int = Field(default=50, ge=2, description="recent default-branch runs examined")
    flip_activation: float = Field(default=0.2, gt=0, le=1)
    flip_resolution: float = Field(default=0.05, ge=0, le=1)
    min_runs_for_flip: int = Field(default=8, ge=2)
    broken_streak: int = Field(default=3, ge=1, description="consecutive failures that mean broken")
    infra_failure_ratio: float = Field(default=0.5, gt=0, le=1)
    infra_min_tests: int = Field(default=10, ge=1)
    new_test_runs: int = Field(default=5, ge=1, description="runs a test counts as new")
    early_flake_reruns: int = Field(default=5, ge=0, description="reruns of never-seen tests")
    fix_alpha: float = Field(default=0.05, gt=0, lt=1)
    fix_min_runs: int = Field(default=50, ge=1)
    fix_max_runs: int = Field(default=1000, ge=1)
    quarantine_default_days: int = Field(default=30, ge=1)
    slow_share: float = Field(default=0.05, gt=0, le=1)
    # The fast suite's time budget (handbook: under 5 minutes; a change adding more than 30 s
    # is flagged), read by the gate check tests.time_budget.
    time_budget_s: float = Field(default=300.0, gt=0, description="largest suite duration")
    time_budget_added_s: float = Field(
        default=30.0, ge=0, description="largest suite duration a change may add"
    )
    time_budget_base_commits: int = Field(
        default=10, ge=1, description="newest default-branch commits the added time is measured on"
    )
    # Any single text of a JUnit report longer than this is cut (with a marker), any tag longer
    # than this makes the report invalid: one writer cannot tie up the server (4 MiB default).
    max_field_bytes: int = Field(
        default=4 << 20, ge=64 << 10, le=1 << 30, description="largest text or tag of a report"
    )

    @model_validator(mode="after")
    def _resolution_below_activation(self) -> TestHealthSettings:
        if self.flip_resolution >= self.flip_activation:
            raise ValueError(
                f"flip_resolution ({self.flip_resolution}) must be below flip_activation "
                f"({self.flip_activation}) so a test does not flap between flaky and healthy"
            )
        return self


class ServerSettings(BaseModel):
    """The HTTP server and dashboard."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8400, ge=0, le=65535)
    secret_key_file: str = ".readiness/secrets/session.key"  # noqa: S105 - a path
    session_hours: int = Field(default=12, ge=1)
    # Addresses of reverse proxies whose X-Forwarded-Proto is believed (none by default): behind
    # one that terminates TLS, cookies are then marked Secure.
    trusted_proxies: list[str] = Field(default_factory=list)
    # This many refused sign-ins from one address within the lock window lock that address out
    # of the sign-in form until the oldest of them is a window old (429 with Retry-After).
    sign_in_max_failures: int = Field(default=10, ge=1, le=10_000)
    sign_in_lock_minutes: int = Field(default=15, ge=1, le=10_080)
    # Strict-Transport-Security max-age sent on responses reached over HTTPS (0: not sent).
    hsts_seconds: int = Field(default=31_536_000, ge=0, le=63_072_000)


class PrivacySettings(BaseModel):
    """``[audit.privacy]``: the identity vault, break-glass and the security log
    (docs/audit-privacy.md). The vault's database is ``vault_url`` (READINESS_VAULT_URL)."""

    model_config = ConfigDict(extra="forbid")

    # The vault's own key (never the ledger's): it encrypts identities and per-subject keys.
    vault_key_file: str = ".readiness/secrets/vault.key"
    security_log_url: str | None = Field(
        default=None, description="the raw-IP security log's database (default: the vault's)"
    )
    security_log_days: int = Field(default=30, ge=1, le=3650, description="raw IPs kept this long")
    # Principals who must agree before a pseudonym is resolved, the requester included.
    resolve_approvers: int = Field(default=1, ge=1, le=5)
    resolve_window_minutes: int = Field(
        default=60, ge=1, le=10_080, description="how long a resolution request stays usable"
    )


class AuditCaptureSettings(BaseModel):
    """Capture and its coverage proof (docs/audit-capture.md): the ``[audit.capture]`` table."""

    model_config = ConfigDict(extra="forbid")

    app: str | None = Field(
        default=None, description="the FastAPI app the coverage check analyses, as module:attr"
    )
    observed: str | None = Field(
        default=None, description="the JSON lines the middleware wrote in the app's test run"
    )
    require_observed: bool = Field(
        default=False, description="audit.capture_coverage fails without the observed file"
    )


RETENTION_FRAMEWORKS = ("soc2", "pci_dss", "hipaa", "sox")
"""The frameworks ``[audit.retention] frameworks`` may name (their periods:
``readiness.audit.retention.core.FRAMEWORK_YEARS``)."""


class RetentionSettings(BaseModel):
    """Retention tiers (docs/audit-retention.md): the ``[audit.retention]`` table."""

    model_config = ConfigDict(extra="forbid")

    archive_dir: str = ".readiness/audit-archive"  # Hive-partitioned Parquet: year=/month=
    older_than: str = Field(default="12mo", description="archive months older than this")
    # Compliance frameworks whose retention applies (soc2, pci_dss: 1y; hipaa: 6y; sox: 7y):
    # nothing is pruned before the longest one expired.
    frameworks: list[str] = Field(default_factory=list, description="soc2, pci_dss, hipaa, sox")

    @field_validator("frameworks")
    @classmethod
    def _frameworks(cls, value: list[str]) -> list[str]:
        unknown = [n for n in value if n.strip().lower() not in RETENTION_FRAMEWORKS]
        if unknown:
            raise ValueError(
                f"unknown framework {', '.join(map(repr, unknown))}; known: "
                f"{', '.join(RETENTION_FRAMEWORKS)}"
            )
        return value


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_of(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h`` or ``7d`` as a timedelta (positive); else ValueError."""
    number, unit = text.strip()[:-1], text.strip()[-1:]
    if unit not in _UNITS or not number.isdigit() or int(number) <= 0:
        raise ValueError(
            f"a duration is a positive whole number and a unit s, m, h or d, like 24h (got "
            f"{text!r})"
        )
    return timedelta(seconds=int(number) * _UNITS[unit])


class WitnessEntry(BaseModel):
    """One ``[[audit.witnesses]]`` entry (docs/audit-witness.md): a C2SP tlog-witness."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the witness's name, as in its verifier key")
    url: str = Field(description="the witness's base URL; add-checkpoint is POSTed below it")
    key: str = Field(description="its verifier key name+hexid+base64(0x04 || key)")


class PublishSettings(BaseModel):
    """``[audit.publish]``: where each checkpoint, with its cosignatures, is published."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(default=None, description="a file, replaced atomically")
    url: str | None = Field(default=None, description="an URL the note is PUT to")
    timeout_s: float = Field(default=10.0, gt=0, le=120, description="witness and PUT timeout")


class AuditSettings(BaseModel):
    """The application audit trail on the ledger (docs/audit.md)."""

    model_config = ConfigDict(extra="forbid")

    origin: str | None = Field(
        default=None, description="the log's name in checkpoints (default: <project>/audit)"
    )
    key_file: str = ".readiness/secrets/audit-ledger.key"
    # Signed checkpoints are also written here, outside the audit database, so that a truncated,
    # rolled back or rewritten database is caught by `readiness audit verify`.
    checkpoint_dir: str = ".readiness/checkpoints"
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    capture: AuditCaptureSettings = Field(default_factory=AuditCaptureSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    # Continuous verification (docs/audit-server.md): `readiness serve` verifies the trail and
    # signs a checkpoint when the log grew, each on its schedule; the audit.verified gate check
    # wants a verified run no older than verified_max_age. Durations: 90s, 30m, 24h, 7d.
    verify_interval: str = Field(default="24h", description="how often the server verifies")
    checkpoint_interval: str = Field(default="24h", description="how often it checkpoints")
    verified_max_age: str = Field(default="48h", description="audit.verified: newest run age")
    # RFC 3161 anchoring: each checkpoint the server or `audit checkpoint` signs is timestamped
    # by this TSA; tsa_ca_file holds the PEM certificate(s) its signing certificate chains to.
    tsa_url: str | None = Field(default=None, description="an RFC 3161 timestamp authority")
    tsa_ca_file: str | None = Field(default=None, description="PEM: the TSA's trusted CA")
    tsa_timeout_s: float = Field(default=10.0, gt=0, le=120)
    # Witnesses cosign checkpoints; `audit verify` wants witness_quorum of them on each.
    witnesses: list[WitnessEntry] = Field(default_factory=list)
    witness_quorum: int = Field(default=0, ge=0, description="cosignatures every checkpoint needs")
    publish: PublishSettings = Field(default_factory=PublishSettings)

    @field_validator("verify_interval", "checkpoint_interval", "verified_max_age")
    @classmethod
    def _duration(cls, value: str) -> str:
        duration_of(value)
        return value

    @model_validator(mode="after")
    def _quorum(self) -> AuditSettings:
        if self.witness_quorum > len(self.witnesses):
            raise ValueError(
                f"witness_quorum {self.witness_quorum} needs that many [[audit.witnesses]]; "
                f"{len(self.witnesses)} configured"
            )
        return self

    @field_validator("origin")
    @classmethod
    def _origin(cls, value: str | None) -> str | None:
        if value is not None and (
            not value or any(c.isspace() or c == "+" or not c.isprintable() for c in value)
        ):
            raise ValueError("a log origin has no spaces, no '+' and no control characters")
        return value


class NotifySettings(BaseModel):
    """Webhook delivery and the events features emit (docs/notifications.md)."""

    model_config = ConfigDict(extra="forbid")

    public_url: str | None = Field(
        default=None, description="the dashboard's address, for links in notifications"
    )
    worker: bool = Field(default=True, description="deliver webhooks from `readiness serve`")
    expiring_days: int = Field(default=3, ge=1, le=365, description="quarantine.expiring notice")
    max_attempts: int = Field(default=8, ge=1, le=50)
    backoff_base_s: float = Field(default=30.0, gt=0, le=86400)
    backoff_cap_s: float = Field(default=3600.0, gt=0, le=7 * 86400)
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    poll_s: float = Field(default=5.0, gt=0, le=3600, description="worker's pause between polls")
    sweep_every_s: float = Field(default=3600.0, gt=0, le=7 * 86400)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL, e.g. https://readiness.example")
        return value.rstrip("/")


# What a link template may name: the fields a stored run has (see ``LinksSettings``).
LINK_PLACEHOLDERS = frozenset({"commit", "branch", "pr", "run_id", "job", "attempt"})


def _check_link_template(value: str) -> str:
    """``value`` if it is an http(s) URL naming only ``LINK_PLACEHOLDERS``; else ValueError."""
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(value)]
    except ValueError as exc:
        raise ValueError(
            f"not a link template ({exc}); write e.g. https://host/commit/{{commit}}"
        ) from exc
    fields = [f for f, _, _ in parsed if f is not None]
    if any(spec or conv for f, spec, conv in parsed if f is not None):
        raise ValueError("a placeholder takes no format or conversion; write e.g. {commit}")
    if "" in fields:
        raise ValueError("a placeholder needs a name, e.g. {commit}")
    unknown = sorted(set(fields) - LINK_PLACEHOLDERS)
    if unknown:
        raise ValueError(
            f"unknown placeholder {{{unknown[0]}}}; use {', '.join(sorted(LINK_PLACEHOLDERS))}"
        )
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    if "{" in parts.netloc:
        raise ValueError("the host cannot be a placeholder; put placeholders in the path")
    return value


class LinksSettings(BaseModel):
    """URL templates of the dashboard's links to CI, commits and pull requests (docs/testhealth.md).

    Each names placeholders from ``LINK_PLACEHOLDERS``; the values are URL-quoted when filled.
    """

    model_config = ConfigDict(extra="forbid")

    commit: str | None = Field(
        default=None, description="e.g. https://host/org/repo/commit/{commit}"
    )
    pull_request: str | None = Field(
        default=None, description="e.g. https://host/org/repo/pull/{pr}"
    )
    ci_run: str | None = Field(
        default=None, description="used when the run has no CI url, e.g. https://ci/runs/{run_id}"
    )

    @field_validator("commit", "pull_request", "ci_run")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else _check_link_template(value)


def fill_link(template: str | None, values: Mapping[str, object]) -> str | None:
    """``template`` with its placeholders replaced by URL-quoted ``values``.

    None when there is no template or a placeholder it names has no value (no half-built link).
    """
    if template is None:
        return None
    quoted: dict[str, str] = {}
    for _, field, _, _ in string.Formatter().parse(template):
        if field is None:
            continue
        value = values.get(field)
        if value is None or value == "":
            return None
        quoted[field] = quote(str(value), safe="", errors="replace")
    return template.format_map(quoted)


class MigrationsSettings(BaseModel):
    """``[tool.readiness.migrations]``: what ``migrations lint`` and its gate check read."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=list)  # migration directories or files
    pg_version: int = Field(default=15, ge=9, le=30)
    fail_on: Literal["info", "warning", "error"] = "error"
    disable: list[str] = Field(default_factory=list)
    enable: list[str] | None = None  # only these rules (default: every rule)
    runner_transaction: bool = False  # the runner wraps each SQL file in a transaction
    since: str | None = None  # the first pending migration (file name or Alembic revision)
    # The live rollback-safety check and the deploy head check (docs/migrations-live.md); a DSN
    # with a password is better set from the environment: READINESS_MIGRATIONS__VERIFY_DSN.
    directory: str | None = None  # what the live check applies (default: paths[0], "migrations")
    verify_dsn: str | None = Field(default=None, repr=False)  # server for scratch databases
    previous: str | None = None  # the version the previous release ran against
    queries: str | None = None  # its queries: a file, or "pg_stat_statements"
    database_url: str | None = Field(default=None, repr=False)  # the deployed database
    expected_head: str | None = None  # the head it must be at (default: the directory's last)


class LogsSettings(BaseModel):
    """``[tool.readiness.logs]``: what ``logs lint`` and the ``logs.no_pii_in_log_calls`` check
    read (docs/logs-lint.md)."""

    model_config = ConfigDict(extra="forbid")

    lint_paths: list[str] = Field(default_factory=list)  # source directories or files
    pii_names: list[str] = Field(default_factory=list)  # added to the built-in PII/secret names
    safe_names: list[str] = Field(default_factory=list)  # exact names never reported as PII
    field_aliases: dict[str, str] = Field(default_factory=dict)  # e.g. {customerId = "user_id"}
    disable: list[str] = Field(default_factory=list)  # rule ids
    print_allowed: list[str] | None = None  # globs where print() is fine (default: tests, scripts)
    fail_on: Literal["info", "warning", "error"] = "error"
    stack_frames: int = Field(default=10, ge=1, le=1000)  # the frame limit advised


class ContractsSettings(BaseModel):
    """``[tool.readiness.contracts]``: schema-registry governance (docs/contracts-registry.md)."""

    model_config = ConfigDict(extra="forbid")

    schemas: dict[str, str] = Field(default_factory=dict)  # subject -> schema file in the repo
    schemas_dir: str | None = None  # or every *.json/*.avsc here, subject = file stem
    governance: bool = False  # refuse breaking/meaning changes without a changelog, early removals
    deprecation_days: int = Field(default=90, ge=0)  # the deprecation cycle before a removal
    usage_window_days: int = Field(default=30, ge=1)  # "no consumer processed it in N days"
    presence_high: float = Field(default=100.0, ge=0, le=100)  # % of events the day before...
    presence_low: float = Field(default=0.0, ge=0, le=100)  # ...and at most this % the next day
    allow_no_pacts: bool = False  # contracts.verified passes a provider no consumer has a pact with


class Settings(BaseModel):
    """All settings of one project."""

    model_config = ConfigDict(extra="forbid")

    root: Path = Path()
    data_dir: str = ".readiness"
    state_url: str | None = None
    audit_url: str | None = None
    vault_url: str | None = None  # the identity vault (audit.privacy), its own database
    url: str | None = Field(default=None, description="a shared Readiness server")
    token: str | None = Field(default=None, repr=False)
    token_file: str | None = None
    project: str = Field(
        default="",
        description="the project this checkout's data belongs to (default: the directory name)",
    )
    default_branch: str = "main"
    testhealth: TestHealthSettings = Field(default_factory=TestHealthSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    links: LinksSettings = Field(default_factory=LinksSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    migrations: MigrationsSettings = Field(default_factory=MigrationsSettings)
    logs: LogsSettings = Field(default_factory=LogsSettings)
    contracts: ContractsSettings = Field(default_factory=ContractsSettings)

    @field_validator("project")
    @classmethod
    def _valid_project(cls, value: str) -> str:
        try:
            return validate_project_name(value)
        except InputError as exc:
            raise ValueError(exc.message) from exc

    @model_validator(mode="after")
    def _default_project(self) -> Settings:
        if "project" not in self.model_fields_set:
            # Bypasses pydantic's __setattr__ so the name does not count as configured.
            object.__setattr__(self, "project", project_name_from(self.root.resolve().name))
        return self

    @property
    def project_is_explicit(self) -> bool:
        """Whether ``project`` was configured (file, READINESS_PROJECT, ``--project``)."""
        return "project" in self.model_fields_set

    def path(self, relative: str) -> Path:
        """A path from the settings, resolved against the project root."""
        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    @property
    def resolved_state_url(self) -> str:
        return self.state_url or f"sqlite:///{self.path(self.data_dir) / 'state.db'}"

    @property
    def resolved_audit_url(self) -> str:
        return self.audit_url or f"sqlite:///{self.path(self.data_dir) / 'audit.db'}"

    @property
    def resolved_vault_url(self) -> str:
        return self.vault_url or f"sqlite:///{self.path(self.data_dir) / 'vault.db'}"

    @property
    def audit_origin(self) -> str:
        """The audit log's origin line (``audit.origin``, default ``<project>/audit``)."""
        return self.audit.origin or f"{self.project}/audit"

    @property
    def is_remote(self) -> bool:
        return bool(self.url)

    def resolved_token(self) -> str | None:
        """The API token, from READINESS_TOKEN or the file named by ``token_file``."""
        if self.token:
            return self.token
        if self.token_file:
            p = self.path(self.token_file)
            try:
                return p.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"token_file {p}: cannot be read ({exc.strerror}); "
                    "create it or set READINESS_TOKEN"
                ) from exc
        return None


def _file_section(root: Path) -> tuple[dict[str, Any], Path | None]:
    for name in ("readiness.toml", "pyproject.toml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from exc
        section = data.get("tool", {}).get("readiness") if name == "pyproject.toml" else data
        if name == "readiness.toml" and "tool" in data:
            section = data["tool"].get("readiness", {})
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [tool.readiness] must be a table")
        return dict(section), path
    return {}, None


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key in NOT_SETTINGS:
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Load and validate the settings of the project at ``root`` (default: the working dir)."""
    root = (root or Path.cwd()).resolve()
    env = os.environ if environ is None else environ
    section, source = _file_section(root)
    data = _merge(_merge(section, _env_overrides(env)), dict(overrides or {}))
    data["root"] = root
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        origin = str(source) if source else "environment"
        problem = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"configuration ({origin}): {where}: {problem} (got {shown(first.get('input'))}); "
            "see `readiness init` for a commented example",
            details={"field": where, "source": origin},
        ) from exc
