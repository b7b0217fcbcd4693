"""SVG charts: accessible titles, escaping, bins, and the empty state."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from readiness.web.charts import bar_chart, histogram, histogram_bins, line_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_a_line_chart_has_a_title_a_description_and_one_circle_per_point() -> None:
    root = _parse(
        line_chart(["03-01", "03-02"], {"p50": [1.0, 2.0], "p95": [3.0, None]}, title="Duration")
    )
    assert root.attrib["role"] == "img"
    assert root.find(f"{SVG}title").text == "Duration"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "p50: latest 2, max 2; p95: latest 3, max 3"  # type: ignore[union-attr]
    circles = [c.find(f"{SVG}title").text for c in root.iter(f"{SVG}circle")]  # type: ignore[union-attr]
    assert circles == ["p50 03-01: 1", "p50 03-02: 2", "p95 03-01: 3"]


def test_labels_are_escaped() -> None:
    markup = bar_chart(["<script>x</script>"], [1.0], title="a & b")
    assert "<script>" not in markup
    assert _parse(markup).find(f"{SVG}title").text == "a & b"  # type: ignore[union-attr]


def test_no_data_draws_a_labelled_empty_chart() -> None:
    root = _parse(line_chart([], {}, title="Duration"))
    assert [t.text for t in root.iter(f"{SVG}text")] == ["no data yet"]


def test_histogram_bins_split_the_range_evenly() -> None:
    assert histogram_bins([0.0, 1.0, 2.0, 4.0], 2) == [(0.0, 2.0, 2), (2.0, 4.0, 2)]


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.integers(1, 30))
def test_histogram_bins_count_every_value_once(values: list[float], bins: int) -> None:
    assert sum(c for _, _, c in histogram_bins(values, bins)) == len(values)


@given(st.lists(st.floats(min_value=0, max_value=1e6), max_size=50))
def test_every_chart_is_well_formed_svg(values: list[float]) -> None:
    labels = [f"t{i}" for i in range(len(values))]
    for markup in (
        line_chart(labels, {"v": list(values)}, title="l"),
        bar_chart(labels, values, title="b"),
        histogram(values, title="h"),
        sparkline(values, title="s"),
    ):
        assert _parse(markup).tag == f"{SVG}svg"
