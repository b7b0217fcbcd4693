"""``[links]``: URL templates of the dashboard's CI, commit and pull-request links."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.config import fill_link, load_settings
from readiness.errors import ConfigError


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("javascript:alert(1)//{commit}", "must be an http:// or https:// URL"),
        ("https:///c/{commit}", "must be an http:// or https:// URL"),
        (
            "https://{commit}.example/",
            "the host cannot be a placeholder; put placeholders in the path",
        ),
        (
            "https://git.example/{sha}",
            "unknown placeholder {sha}; use attempt, branch, commit, job, pr, run_id",
        ),
        (
            "https://git.example/{commit!r}",
            "a placeholder takes no format or conversion; write e.g. {commit}",
        ),
        ("https://git.example/{}", "a placeholder needs a name, e.g. {commit}"),
        (
            "https://git.example/{commit",
            "not a link template (expected '}' before end of string); "
            "write e.g. https://host/commit/{commit}",
        ),
    ],
)
def test_a_bad_link_template_is_refused_naming_the_key(
    tmp_path: Path, template: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={"READINESS_LINKS__COMMIT": template})
    assert caught.value.message == (
        f'configuration (environment): links.commit: {problem} (got "{template}"); '
        "see `readiness init` for a commented example"
    )


def test_link_templates_load_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "readiness.toml").write_text(
        '[links]\ncommit = "https://git.example/shop/commit/{commit}"\n'
        'pull_request = "https://git.example/shop/pull/{pr}"\n',
        encoding="utf-8",
    )
    links = load_settings(tmp_path, environ={}).links
    assert (links.commit, links.pull_request, links.ci_run) == (
        "https://git.example/shop/commit/{commit}",
        "https://git.example/shop/pull/{pr}",
        None,
    )


def test_a_link_is_left_out_when_a_placeholder_has_no_value() -> None:
    template = "https://ci.example/{run_id}/{attempt}"
    assert fill_link(template, {"run_id": "7", "attempt": 2}) == "https://ci.example/7/2"
    assert fill_link(template, {"run_id": "", "attempt": 2}) is None
    assert fill_link(template, {"attempt": 2}) is None
    assert fill_link(None, {"run_id": "7"}) is None


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1))
def test_a_filled_value_stays_in_its_path_segment_and_reads_back_unchanged(value: str) -> None:
    link = fill_link("https://git.example/commit/{commit}?x=1", {"commit": value})
    assert link is not None
    segment = link.removeprefix("https://git.example/commit/").removesuffix("?x=1")
    assert not set(segment) & set("/?#<>\"' &")
    assert unquote(segment) == value
