"""The suite-health page charts the suite's runtime per day against its time budget."""

from __future__ import annotations

import re
from typing import Any


def test_the_suite_health_page_charts_the_runtime_against_the_budget(server: Any) -> None:
    page = server.client.get("/tests/health", headers=server.auth("reader")).text

    card = re.search(r"<h2>Time budget</h2>(.*?)</section>", page, re.S)
    assert card is not None
    assert "Suite runtime per day against its time budget" in card.group(1)
    assert ">budget<" in card.group(1) and ">suite<" in card.group(1)
    assert (
        '<p class="legend">Budget 300 s (<code>time_budget_s</code>); census runs left out.</p>'
        in card.group(1)
    )
