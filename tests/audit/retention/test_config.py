"""``[audit.retention] frameworks`` and ``audit.witness_quorum`` are checked when the settings
load: one line, exit 2, before any command runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.config import load_settings
from readiness.errors import ConfigError


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("READINESS_URL", "READINESS_TOKEN", "READINESS_STATE_URL", "READINESS_AUDIT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "ci-bot")


WITNESS = (
    '[[audit.witnesses]]\nname = "w1"\nurl = "http://127.0.0.1:9/"\nkey = "w1+00000000+AAAA"\n'
)


@pytest.mark.parametrize(
    ("toml", "problem", "got"),
    [
        (
            '[audit.retention]\nframeworks = ["soc2", "gdpr"]\n',
            "audit.retention.frameworks: unknown framework 'gdpr'; "
            "known: soc2, pci_dss, hipaa, sox",
            '["soc2", "gdpr"]',
        ),
        (
            "[audit]\nwitness_quorum = 2\n" + WITNESS,
            "audit: witness_quorum 2 needs that many [[audit.witnesses]]; 1 configured",
            None,
        ),
    ],
)
def test_a_bad_retention_or_quorum_setting_fails_the_load_in_one_line(
    capsys: pytest.CaptureFixture[str],
    project_dir: Path,
    toml: str,
    problem: str,
    got: str | None,
) -> None:
    config = project_dir / "readiness.toml"
    config.write_text(toml)

    code = main(["-C", str(project_dir), "audit", "retention"])
    out, err = capsys.readouterr()

    assert (code, out) == (2, "")
    assert err.startswith(f"error: configuration ({config}): {problem} (got ")
    assert err.count("\n") == 1
    if got is not None:
        assert f"(got {got})" in err
    with pytest.raises(ConfigError):
        load_settings(project_dir, environ={})


def test_known_frameworks_in_any_case_and_a_quorum_within_the_witnesses_load(
    project_dir: Path,
) -> None:
    (project_dir / "readiness.toml").write_text(
        '[audit]\nwitness_quorum = 1\n[audit.retention]\nframeworks = ["SOC2", "hipaa"]\n' + WITNESS
    )
    settings = load_settings(project_dir, environ={})
    assert (settings.audit.witness_quorum, settings.audit.retention.frameworks) == (
        1,
        ["SOC2", "hipaa"],
    )
