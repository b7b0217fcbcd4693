"""The PR comment's link to the gates page: built from READINESS_URL, never with credentials."""

from __future__ import annotations

from pathlib import Path

from readiness.cli.gate import gates_page_url
from readiness.config import Settings
from readiness.gate.model import Gate


def test_no_server_configured_means_no_link(tmp_path: Path) -> None:
    assert gates_page_url(Settings(root=tmp_path, project="shop"), Gate.MERGE) is None


def test_the_link_names_the_project_and_drops_credentials_and_a_trailing_slash(
    tmp_path: Path,
) -> None:
    settings = Settings(
        root=tmp_path, project="shop-api", url="https://ci:s3cret@readiness.example.com/r/"
    )

    assert gates_page_url(settings, Gate.DEPLOY) == (
        "https://readiness.example.com/r/gates?project=shop-api&gate=deploy"
    )
