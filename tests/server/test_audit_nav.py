"""The navigation lists the Audit page only for the roles that may open it."""

from __future__ import annotations

import re
from typing import Any

import pytest


def nav_links(page: str) -> list[str]:
    match = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)
    assert match is not None
    return re.findall(r'<a href="([^"]+)"', match.group(1))


@pytest.mark.parametrize(
    ("role", "shown"), [("reader", False), ("writer", False), ("auditor", True), ("admin", True)]
)
def test_the_audit_entry_is_shown_only_to_auditors_and_admins(
    server: Any, role: str, shown: bool
) -> None:
    page = server.client.get("/", headers=server.auth(role))
    audit = server.client.get("/audit", headers=server.auth(role))

    assert page.status_code == 200
    assert ("/audit" in nav_links(page.text)) is shown
    assert audit.status_code == (200 if shown else 403)  # the entry matches the access
    assert "/gates" in nav_links(page.text)  # pages every role reads stay listed


def test_signed_in_by_session_an_auditor_sees_it_and_a_reader_does_not(server: Any) -> None:
    assert server.sign_in(server.tokens["reader"]).status_code == 303
    assert "/audit" not in nav_links(server.client.get("/").text)
    server.client.cookies.clear()
    assert server.sign_in(server.tokens["auditor"]).status_code == 303
    assert "/audit" in nav_links(server.client.get("/").text)
