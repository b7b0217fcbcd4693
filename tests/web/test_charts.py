"""The chart block: a figure whose data travels as JSON, with a data table and a summary."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from readiness.web.charts import bar_chart, histogram, histogram_bins, line_chart, sparkline

SVG = "{http://www.w3.org/2000/svg}"


def _attr(markup: str, name: str) -> Any:
    """The JSON in attribute ``name``, unescaped as the browser does."""
    found = re.search(rf'{name}="([^"]*)"', markup)
    assert found is not None, name
    return json.loads(html.unescape(found.group(1)))


def _rows(markup: str) -> list[list[str]]:
    """The data table's body rows, as text."""
    body = markup.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    return [
        [html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _line() -> str:
    return line_chart(
        ["2026-03-01", "2026-03-02"],
        {"p50": [0.411, 75.0], "p95": [1.5, None]},
        title="Suite duration per day",
        unit="s",
        y_label="Duration",
        x_label="Day",
    )


def test_a_line_chart_carries_its_data_as_json_with_day_ticks() -> None:
    assert _attr(_line(), "data-chart-data") == {
        "labels": ["2026-03-01", "2026-03-02"],
        "ticks": ["1 Mar", "2 Mar"],
        "series": [
            {"name": "p50", "values": [0.411, 75.0]},
            {"name": "p95", "values": [1.5, None]},
        ],
    }


def test_a_line_chart_carries_its_axis_titles_unit_and_range() -> None:
    options = _attr(_line(), "data-chart-options")
    del options["colors"]
    assert options == {
        "unit": "s",
        "y_label": "Duration",
        "x_label": "Day",
        "y_min": 0,
        "y_max": None,
        "height": 220,
    }


def test_a_percentage_chart_names_its_unit_on_the_axis_and_can_fix_the_top_at_100() -> None:
    markup = line_chart(
        ["d"], {"pass rate": [50.0]}, title="t", unit="%", y_label="Pass rate", y_max=100
    )
    options = _attr(markup, "data-chart-options")
    assert (options["y_label"], options["y_max"]) == ("Pass rate (%)", 100)


def test_a_line_chart_table_spells_each_value_readably_and_a_gap_as_a_dash() -> None:
    assert _rows(_line()) == [
        ["2026-03-01", "411 ms", "1.5 s"],
        ["2026-03-02", "1 min 15 s", "–"],
    ]


def test_a_line_chart_table_is_headed_by_the_x_label_and_the_series() -> None:
    assert (
        '<thead><tr><th scope="col">Day</th><th scope="col" class="num">p50</th>'
        '<th scope="col" class="num">p95</th></tr></thead>'
    ) in _line()


def test_the_table_is_a_keyboard_reachable_disclosure_inside_the_figure() -> None:
    markup = _line()
    assert markup.startswith('<figure class="chart-block chart-line"')
    assert "<figcaption>Suite duration per day</figcaption>" in markup
    assert '<details class="chart-data"><summary>Data table</summary>' in markup
    assert markup.endswith("</table></div></details></figure>")


def test_the_chart_container_is_an_image_named_by_the_title_and_described_by_the_summary() -> None:
    markup = _line()
    cid = re.search(r'aria-describedby="([^"]+)"', markup).group(1)  # type: ignore[union-attr]
    assert '<div class="chart" role="img" aria-label="Suite duration per day"' in markup
    assert (
        f'<p class="chart-summary" id="{cid}">p50: latest 1 min 15 s, highest 1 min 15 s; '
        "p95: latest 1.5 s, highest 1.5 s; 2 points, 2026-03-01 to 2026-03-02.</p>"
    ) in markup


def test_hostile_labels_and_titles_are_escaped_everywhere() -> None:
    markup = bar_chart(
        ["<script>alert(1)</script>", 'a"b'], [12.5, 100.0], title='R & "q"', unit="%"
    )
    assert "<script>" not in markup
    assert 'a"b' not in markup  # a quote never closes an attribute
    assert "<figcaption>R &amp; &#34;q&#34;</figcaption>" in markup
    assert _attr(markup, "data-chart-data")["labels"] == ["<script>alert(1)</script>", 'a"b']
    assert _rows(markup) == [["<script>alert(1)</script>", "12.5%"], ['a"b', "100%"]]


def test_a_bar_chart_shortens_long_labels_for_its_axis_from_the_left() -> None:
    test_id = "tests/integration/test_checkout.py::test_pay[eu-west-1]"  # cut to 24 characters
    data = _attr(bar_chart([test_id], [1.0], title="t", unit="s"), "data-chart-data")
    assert data["ticks"] == ["…py::test_pay[eu-west-1]"]
    assert data["labels"] == [test_id]


def test_a_bar_chart_names_its_series_by_the_value_label() -> None:
    markup = bar_chart(["a"], [0.5], title="t", unit="s", y_label="Mean duration")
    assert _attr(markup, "data-chart-data")["series"] == [
        {"name": "Mean duration", "values": [0.5]}
    ]


def test_a_histogram_counts_per_bin_with_ranges_in_the_values_unit() -> None:
    markup = histogram([0.2, 0.4, 1.0], title="Durations", unit="s", bins=2, y_label="Tests")
    assert _attr(markup, "data-chart-data") == {
        "labels": ["0 s – 500 ms", "500 ms – 1 s"],
        "ticks": ["0 s", "500 ms", "1 s"],
        "series": [{"name": "Tests", "values": [2, 1]}],
    }
    assert _rows(markup) == [["0 s – 500 ms", "2"], ["500 ms – 1 s", "1"]]
    assert "3 values from 0 s to 1 s; the most (2) in 0 s – 500 ms." in markup


def test_round_bins_start_at_a_multiple_of_a_round_step_and_close_the_last() -> None:
    assert histogram_bins([14.0, 75.0, 90.0], 3, round_in="s") == [
        (0.0, 30.0, 1),
        (30.0, 60.0, 0),
        (60.0, 90.0, 2),
    ]


def test_no_data_is_an_empty_state_without_a_chart() -> None:
    for markup in (
        line_chart([], {}, title="Duration"),
        line_chart(["d"], {"p50": [None]}, title="Duration"),
        bar_chart([], [], title="Duration"),
        histogram([], title="Duration"),
    ):
        assert '<figcaption>Duration</figcaption><p class="empty">No data yet.</p>' in markup
        assert "data-chart" not in markup


def test_not_a_number_is_a_gap_because_json_has_no_nan() -> None:
    markup = line_chart(["a", "b"], {"v": [float("nan"), 1.0]}, title="t")
    assert _attr(markup, "data-chart-data")["series"] == [{"name": "v", "values": [None, 1.0]}]


def test_a_short_series_is_padded_with_gaps_to_the_labels() -> None:
    markup = line_chart(["a", "b"], {"v": [1.0]}, title="t")
    assert _attr(markup, "data-chart-data")["series"] == [{"name": "v", "values": [1.0, None]}]


def test_a_one_point_summary_says_one_point_and_its_label() -> None:
    markup = line_chart(["2026-03-01"], {"v": [1.0]}, title="t", unit="s")
    assert "v: latest 1 s, highest 1 s; 1 point, 2026-03-01.</p>" in markup


def test_old_call_sites_still_work_with_width_and_without_the_new_options() -> None:
    markup = line_chart(["a"], {"v": [1.0]}, title="t", unit="s", width=640, height=200)
    assert _attr(markup, "data-chart-options")["height"] == 200


def test_a_sparkline_is_an_inline_svg_whose_title_spells_its_figures() -> None:
    root = ET.fromstring(sparkline([0.411, 2.0], title="Duration of t", unit="s"))
    assert root.attrib["role"] == "img"
    assert root.find(f"{SVG}title").text == (  # type: ignore[union-attr]
        "Duration of t: 2 points: first 411 ms, latest 2 s, lowest 411 ms, highest 2 s"
    )
    assert root.find(f"{SVG}polyline").attrib["points"] == "2.0,22.0 118.0,2.0"  # type: ignore[union-attr]


def test_a_flat_sparkline_runs_through_the_middle() -> None:
    root = ET.fromstring(sparkline([1.4, 1.4], title="t"))
    assert root.find(f"{SVG}polyline").attrib["points"] == "2.0,12.0 118.0,12.0"  # type: ignore[union-attr]


def test_an_empty_sparkline_says_so() -> None:
    assert sparkline([], title="<t>") == (
        '<span class="sparkline empty" role="img" aria-label="&lt;t&gt;: no data yet">'
        "no data yet</span>"
    )


def test_histogram_bins_split_the_range_evenly() -> None:
    assert histogram_bins([0.0, 1.0, 2.0, 4.0], 2) == [(0.0, 2.0, 2), (2.0, 4.0, 2)]


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1), st.integers(1, 30))
def test_histogram_bins_count_every_value_once(values: list[float], bins: int) -> None:
    assert sum(c for _, _, c in histogram_bins(values, bins)) == len(values)
    assert sum(c for _, _, c in histogram_bins(values, bins, round_in="s")) == len(values)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30), st.text(max_size=20))
def test_every_chart_carries_valid_json_and_one_table_row_per_label(
    values: list[float], label: str
) -> None:
    labels = [f"{label}{i}" for i in range(len(values))]
    for markup, rows in (
        (line_chart(labels, {label: list(values)}, title=label), len(values)),
        (bar_chart(labels, values, title=label), len(values)),
    ):
        if "data-chart=" in markup:
            assert _attr(markup, "data-chart-data")["labels"] == labels
            assert len(_rows(markup)) == rows
