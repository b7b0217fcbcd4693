"""``readiness init``: a commented starter configuration and generated secret keys (idempotent)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

STARTER = """\
# Readiness configuration. Every key can be overridden by an environment variable:
# READINESS_<KEY>, and READINESS_<SECTION>__<KEY> for keys of a section.
# Secrets never live here: this file names the files that hold them.
{header}
# The project this repository's results belong to (default: this directory's name). A shared
# server keeps each project apart; set it when CI checks out under another directory name.
# project = "shop"

# Where the embedded SQLite databases live (state.db and audit.db).
data_dir = ".readiness"
# Use PostgreSQL instead (needs `pip install readiness[postgres]`):
# state_url = "postgresql+psycopg://readiness@db.internal/readiness_state"
# audit_url = "postgresql+psycopg://readiness@db.internal/readiness_audit"
# The identity vault of the audit trail (pseudonyms, erasure keys) is a database of its own:
# vault_url = "postgresql+psycopg://vault@db.internal/readiness_vault"

# A shared Readiness server that CI uploads to (token in READINESS_TOKEN or token_file):
# url = "https://readiness.internal"
# token_file = ".readiness/secrets/api.token"

# The branch whose history decides flakiness by flip rate.
default_branch = "main"

{section}testhealth]
# The reviewed quarantine list: quarantined tests run, their failures never block.
quarantine_file = ".readiness/quarantine.toml"
# Recent default-branch runs examined, and the flip-rate thresholds: a test turns flaky at
# flip_activation and is healthy again only at or below flip_resolution (no flapping).
window_runs = 50
flip_activation = 0.2
flip_resolution = 0.05
# Runs where this share of tests fail are infrastructure failures and are not counted.
infra_failure_ratio = 0.5
# The pytest plugin reruns never-seen tests this many times (early flake detection).
early_flake_reruns = 5
# Days a new quarantine entry lasts before the merge gate flags it as expired.
quarantine_default_days = 30
# The fast suite's time budget (gate check tests.time_budget): above time_budget_s fails, a
# change adding more than time_budget_added_s to the default branch's median warns.
time_budget_s = 300
time_budget_added_s = 30

{section}server]
host = "127.0.0.1"
port = 8400
# HMAC key of dashboard sessions; `readiness init` generates it.
secret_key_file = ".readiness/secrets/session.key"

{section}notify]
# Links in webhook payloads point here (the dashboard's public address).
# public_url = "https://readiness.internal"
# Quarantine entries this many days from expiry send quarantine.expiring (once).
expiring_days = 3

{section}audit]
# Signed checkpoints of the audit ledger are also written here, outside the audit database:
# keep it on other storage (or copy it away) so truncation and rewriting stay detectable.
checkpoint_dir = ".readiness/checkpoints"
key_file = ".readiness/secrets/audit-ledger.key"
# `readiness serve` verifies the trail and signs checkpoints on a schedule (audit-server.md).
verify_interval = "24h"
checkpoint_interval = "24h"
# Anchor checkpoints with an RFC 3161 timestamp authority, trusted through its CA:
# tsa_url = "https://tsa.example.com/tsr"
# tsa_ca_file = "/etc/readiness/tsa-ca.pem"

{section}audit.privacy]
# The identity vault's own key (never the ledger's); created 0600 on first use.
vault_key_file = ".readiness/secrets/vault.key"
# Raw IPs stay in the security log this many days; the server purges them hourly.
security_log_days = 30
# Principals who must agree before a pseudonym is resolved (2: a second approver), and how
# long a resolution request stays usable.
resolve_approvers = 1
resolve_window_minutes = 60

{section}links]
# The dashboard's run page links a run to its commit, pull request and CI job with these URL
# templates; placeholders: {{commit}}, {{pr}}, {{run_id}}, {{attempt}}, {{branch}}, {{job}}.
# The CI's own URL of a run, when the upload gave one, wins over ci_run.
# commit = "https://github.com/org/shop/commit/{{commit}}"
# pull_request = "https://github.com/org/shop/pull/{{pr}}"
# ci_run = "https://github.com/org/shop/actions/runs/{{run_id}}/attempts/{{attempt}}"
"""

DATA_GITIGNORE = (
    "# databases and secrets stay local; quarantine.toml is reviewed and committed\n"
    "*.db\n*.db-*\nsecrets/\ndemo-junit/\n"
)


@dataclass
class InitResult:
    config_file: str
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _write_secret(path: Path) -> bool:
    """A new random key, 0600 in 0700 folders (False: the file was already there)."""
    from readiness.storage.files import create_private_file

    return create_private_file(path, (secrets.token_hex(32) + "\n").encode())


def init_project(root: Path) -> InitResult:
    """Write the starter configuration and key files under ``root``; never overwrite anything."""
    pyproject = root / "pyproject.toml"
    readiness_toml = root / "readiness.toml"
    if readiness_toml.exists() or (
        pyproject.exists() and "[tool.readiness]" in pyproject.read_text(encoding="utf-8")
    ):
        target = readiness_toml if readiness_toml.exists() else pyproject
        result = InitResult(config_file=str(target), kept=[str(target)])
    elif pyproject.exists():
        text = pyproject.read_text(encoding="utf-8")
        starter = STARTER.format(header="[tool.readiness]", section="[tool.readiness.")
        pyproject.write_text(text.rstrip("\n") + "\n\n" + starter, encoding="utf-8")
        result = InitResult(config_file=str(pyproject), created=[f"{pyproject} [tool.readiness]"])
    else:
        readiness_toml.write_text(STARTER.format(header="", section="["), encoding="utf-8")
        result = InitResult(config_file=str(readiness_toml), created=[str(readiness_toml)])

    from readiness.storage.files import make_private_dir

    data_dir = root / ".readiness"
    make_private_dir(data_dir)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text(DATA_GITIGNORE, encoding="utf-8")
        result.created.append(str(ignore))
    key = data_dir / "secrets" / "session.key"
    (result.created if _write_secret(key) else result.kept).append(str(key))
    return result
