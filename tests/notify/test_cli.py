"""``readiness notify``: webhooks administered from the terminal, hostile input exit 2 with one
line, the secret printed once and never listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness.cli.main import main


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_prints_the_secret_once_and_list_shows_its_prefix_only(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    code, out, _ = cli(
        capsys, project_dir, "notify", "webhooks", "add", "https://h.example/x", "-f", "json"
    )
    created = json.loads(out)

    _, listed, _ = cli(capsys, project_dir, "notify", "webhooks", "list", "-f", "json")

    assert code == 0
    assert created["events"] == [
        "test.flaky",
        "test.broken",
        "quarantine.expiring",
        "quarantine.expired",
        "gate.failed",
        "audit.verify_failed",
        "pact.contract_content_changed",
        "pact.contract_published",
        "pact.provider_verification_published",
        "pact.provider_verification_succeeded",
        "pact.provider_verification_failed",
    ]
    assert json.loads(listed) == [{k: v for k, v in created.items() if k != "secret"}]
    assert created["secret"] not in listed


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "file:///etc/passwd",
            "error: webhook url must be an http:// or https:// URL with a host, e.g. "
            "https://hooks.example.com/readiness\n",
        ),
        (
            "https://u:p@h/x",
            "error: webhook url must not carry a user name or password; the webhook secret "
            "signs each delivery instead\n",
        ),
    ],
)
def test_a_hostile_url_is_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], project_dir: Path, url: str, message: str
) -> None:
    assert cli(capsys, project_dir, "notify", "webhooks", "add", url) == (2, "", message)


def test_removing_an_unknown_webhook_is_exit_2_naming_the_list_command(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    cli(capsys, project_dir, "notify", "webhooks", "add", "https://h.example/x")

    code, _, err = cli(capsys, project_dir, "notify", "webhooks", "remove", "9")

    assert code == 2
    assert err == (
        f"error: webhook 9 not found in project '{project_dir.name}'; list them with "
        "`readiness notify webhooks list`\n"
    )


def test_a_test_event_is_queued_and_listed_as_pending(
    capsys: pytest.CaptureFixture[str], project_dir: Path
) -> None:
    cli(capsys, project_dir, "notify", "webhooks", "add", "https://h.example/x")

    queued = cli(capsys, project_dir, "notify", "webhooks", "test", "1")
    _, pending, _ = cli(
        capsys, project_dir, "notify", "deliveries", "--status", "pending", "-f", "json"
    )

    assert queued == (
        0,
        "test event queued as delivery 1; `readiness notify deliver --once` sends it now\n",
        "",
    )
    assert [(d["event_type"], d["attempts"]) for d in json.loads(pending)] == [
        ("readiness.test", 0)
    ]
