from __future__ import annotations

from typing import Any


def test_runs_page_lists_each_run_with_its_commit_and_failures(server: Any) -> None:
    response = server.client.get("/tests/runs", headers=server.auth("reader"))

    assert response.status_code == 200
    page = response.text
    assert "<code>abc123</code>" in page
    assert '<td class="num">2</td>' in page  # tests in the run
    assert '<td class="num">1</td>' in page  # failed
    assert "No co-failing groups in the recent runs." in page
