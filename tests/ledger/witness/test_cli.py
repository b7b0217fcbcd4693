"""The commands: `audit checkpoint --publish`, `audit witnesses`, `audit publish`,
`audit verify --tiles` (offline, with no database configured at all), `audit witness keygen`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.ledger.core.cosignature import CosignatureSigner
from readiness.storage import Stores
from tests._live import free_port
from tests.ledger.witness.conftest import LOG, OTHER, WITNESS

ENV = ("READINESS_STATE_URL", "READINESS_AUDIT_URL", "READINESS_PROJECT", "READINESS_URL")
EVENT = (
    '{"actor_id": "usr_1", "actor_type": "service", "action": "invoice.update", '
    '"target_type": "invoice", "target_id": "inv_1", "result": "success", '
    '"occurred_at": "2026-04-10T14:23:01Z"}\n'
)


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


def configure(root: Path, witnesses: list[tuple[CosignatureSigner, str]], quorum: int) -> None:
    text = '[tool.readiness]\nproject = "project"\n'
    text += f"[tool.readiness.audit]\nwitness_quorum = {quorum}\n"
    for signer, url in witnesses:
        text += (
            "[[tool.readiness.audit.witnesses]]\n"
            f'name = "{signer.name}"\nurl = "{url}"\nkey = "{signer.verifier.vkey}"\n'
        )
    text += '[tool.readiness.audit.publish]\nfile = "public/checkpoint"\n'
    (root / "pyproject.toml").write_text(text)


@pytest.fixture
def cli(
    stores: Stores,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    secrets = project_dir / ".readiness" / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "audit-ledger.key").write_text(LOG.skey + "\n")
    (project_dir / "events.jsonl").write_text(EVENT * 3)
    yield Cli(project_dir, capsys)


def test_checkpoint_publish_collects_cosignatures_and_verify_checks_the_quorum(
    cli: Cli, project_dir: Path, witness_url: str
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    configure(project_dir, [(WITNESS, witness_url), (OTHER, down)], quorum=1)
    assert cli("audit", "append", str(cli.root / "events.jsonl"))[0] == 0

    code, out, _ = cli("audit", "checkpoint", "--publish", "-f", "json")
    listed = json.loads(cli("audit", "witnesses", "-f", "json")[1])
    verified = json.loads(cli("audit", "verify", "-f", "json")[1])
    configure(project_dir, [(WITNESS, witness_url), (OTHER, down)], quorum=2)
    short = json.loads(cli("audit", "verify", "-f", "json")[1])

    publication = json.loads(out)["publication"]
    assert code == 1  # a witness was down: reported, the checkpoint is signed and published
    assert [(w["name"], w["ok"]) for w in publication["witnesses"]] == [
        (WITNESS.name, True),
        (OTHER.name, False),
    ]
    assert publication["published"] == [str(project_dir / "public" / "checkpoint")]
    assert (project_dir / "public" / "checkpoint").read_text() == publication["note"]
    assert [(w["name"], w["last_cosigned_size"]) for w in listed["witnesses"]] == [
        (WITNESS.name, publication["size"]),
        (OTHER.name, None),
    ]
    assert (verified["verified"], verified["errors"]) == (True, [])
    assert short["errors"] == [
        f"checkpoint {publication['checkpoint_id']} (size {publication['size']}) has "
        "1 witness cosignature of the 2 audit.witness_quorum requires"
    ]


def test_witnesses_in_text_and_publish_retrying_a_witness(
    cli: Cli, project_dir: Path, witness_url: str
) -> None:
    configure(project_dir, [(WITNESS, witness_url)], quorum=0)
    assert cli("audit", "append", str(cli.root / "events.jsonl"))[0] == 0
    assert cli("audit", "checkpoint")[0] == 0
    assert cli("audit", "witnesses")[1] == (
        f"{WITNESS.name}  {witness_url}  never cosigned\nquorum: 0\n"
    )

    code, out, _ = cli("audit", "publish")

    assert code == 0
    assert out.splitlines()[1:] == [
        f"witness {WITNESS.name}: ok: cosigned size 3",
        f"published to {project_dir / 'public' / 'checkpoint'}",
    ]
    assert cli("audit", "witnesses")[1].startswith(
        f"{WITNESS.name}  {witness_url}  last cosigned size 3\n"
    )


def test_verify_tiles_runs_with_no_database_configured_at_all(
    cli: Cli, project_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("audit", "append", str(cli.root / "events.jsonl"))[0] == 0
    assert cli("audit", "export-tiles", str(tmp_path / "export"))[0] == 0
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    (tmp_path / "log.vkey").write_text(LOG.verifier.vkey + "\n")
    offline = Cli(empty, cli.capsys)

    code, out, _ = offline(
        "audit",
        "verify",
        "--tiles",
        str(tmp_path / "export"),
        "--public-key",
        str(tmp_path / "log.vkey"),
        "-f",
        "json",
    )
    text = offline(
        "audit", "verify", "--tiles", str(tmp_path / "export"), "--public-key", LOG.verifier.vkey
    )

    assert (code, json.loads(out)) == (
        0,
        {"verified": True, "size": 3, "checkpoints": 1, "cosigned_by": [], "errors": []},
    )
    assert text[:2] == (0, "tile export verified: 3 entries, checkpoint signed by project/audit\n")
    assert sorted(p.name for p in empty.iterdir()) == []  # no database, no key, nothing made


def test_verify_tiles_fails_on_a_tampered_export_and_refuses_missing_options(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli("audit", "append", str(cli.root / "events.jsonl"))[0] == 0
    assert cli("audit", "export-tiles", str(tmp_path / "export"))[0] == 0
    bundle = tmp_path / "export" / "tile" / "entries" / "000.p/3"
    bundle.write_bytes(bundle.read_bytes().replace(b"usr_1", b"usr_2", 1))

    code, out, _ = cli(
        "audit",
        "verify",
        "--tiles",
        str(tmp_path / "export"),
        "--public-key",
        LOG.verifier.vkey,
        "--witness-key",
        WITNESS.verifier.vkey,
    )
    missing = cli("audit", "verify", "--tiles", str(tmp_path / "export"))

    assert code == 1
    assert out.splitlines()[:3] == [
        "tile export NOT verified (3 errors):",
        f"  checkpoint: no cosignature by the witness {WITNESS.name}+{WITNESS.key_id:08x}",
        "  tile/0/000.p/3: its hashes are not the ones the entries give (level 0 nodes 0-2)",
    ]
    assert missing[0] == 2
    assert missing[2] == (
        "error: --tiles DIR and --public-key KEY go together (offline verification)\n"
    )


def test_witness_keygen_writes_a_private_key_once_and_prints_the_verifier_key(
    cli: Cli, tmp_path: Path
) -> None:
    key = tmp_path / "w.key"
    code, out, _ = cli(
        "audit", "witness", "keygen", "--name", "w.example/1", "--key-file", str(key)
    )
    again = cli("audit", "witness", "keygen", "--name", "w.example/1", "--key-file", str(key))

    signer = CosignatureSigner.from_skey(key.read_text().strip())
    assert (code, out) == (0, signer.verifier.vkey + "\n")
    assert key.stat().st_mode & 0o777 == 0o600
    assert again[0] == 2
    assert again[2] == f"error: {key} exists; a witness key is never replaced\n"


def test_checkpoint_publish_with_nothing_configured_says_so(cli: Cli) -> None:
    assert cli("audit", "append", str(cli.root / "events.jsonl"))[0] == 0

    code, out, _ = cli("audit", "checkpoint", "--publish")

    assert code == 0
    assert out.splitlines()[-1] == (
        "nothing to publish to: no [[tool.readiness.audit.witnesses]] and no "
        "[tool.readiness.audit.publish] file or url (docs/audit-witness.md)"
    )


def test_witness_serve_refuses_a_missing_key_file_in_one_line(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli(
        "audit",
        "witness",
        "serve",
        "--key-file",
        str(tmp_path / "none.key"),
        "--log",
        LOG.verifier.vkey,
        "--state",
        str(tmp_path / "w.db"),
    )

    assert code == 2
    assert err == (
        f"error: cannot read the witness key file {tmp_path / 'none.key'}: [Errno 2] No such "
        f"file or directory: '{tmp_path / 'none.key'}'\n"
    )
