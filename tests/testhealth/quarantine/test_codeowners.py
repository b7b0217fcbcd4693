from __future__ import annotations

from pathlib import Path

import pytest

from readiness.testhealth.quarantine.codeowners import (
    CodeOwners,
    default_owner,
    find_codeowners,
    load_codeowners,
    parse_codeowners,
)

GITHUB = """\
# Default owners of everything
*                   @org/everyone
*.py                @org/python   # inline comment
/docs/              @org/docs
apps/               @org/apps
/build/logs/        @org/ops
tests/test_orders.py @org/payments alice@example.com
src/**/models.py    @org/models
/scripts/*.sh       @org/ops
/empty/
\\#weird             @org/hash
"""


@pytest.fixture
def github() -> CodeOwners:
    return parse_codeowners(GITHUB)


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ["@org/everyone"]),
        ("deep/nested/file.py", ["@org/python"]),
        ("docs/index.md", ["@org/docs"]),
        ("src/docs/index.md", ["@org/everyone"]),
        ("apps/web/app.js", ["@org/apps"]),
        ("src/apps/web/app.js", ["@org/apps"]),
        ("build/logs/today.txt", ["@org/ops"]),
        ("x/build/logs/today.txt", ["@org/everyone"]),
        ("tests/test_orders.py", ["@org/payments", "alice@example.com"]),
        ("src/models.py", ["@org/models"]),
        ("src/a/b/models.py", ["@org/models"]),
        ("scripts/run.sh", ["@org/ops"]),
        ("scripts/sub/run.sh", ["@org/everyone"]),
        ("empty/file.txt", []),
        ("#weird", ["@org/hash"]),
    ],
)
def test_the_last_matching_gitignore_style_pattern_decides_the_owners(
    github: CodeOwners, path: str, owners: list[str]
) -> None:
    assert github.owners_for(path) == owners


def test_paths_with_a_leading_dot_slash_or_slash_are_read_from_the_root(
    github: CodeOwners,
) -> None:
    assert github.owners_for("./docs/a.md") == github.owners_for("/docs/a.md") == ["@org/docs"]


def test_a_trailing_slash_matches_only_directories_not_files_of_that_name() -> None:
    owners = parse_codeowners("logs/ @ops\n")

    assert (owners.owners_for("logs"), owners.owners_for("logs/a")) == ([], ["@ops"])


def test_a_question_mark_and_a_character_class_match_one_character() -> None:
    owners = parse_codeowners("test_?.py @a\n[ab]*.txt @b\n")

    assert [owners.owners_for(p) for p in ("test_1.py", "test_12.py", "b1.txt", "c1.txt")] == [
        ["@a"],
        [],
        ["@b"],
        [],
    ]


def test_gitlab_sections_each_contribute_their_last_match_and_default_owners() -> None:
    text = """\
[Backend] @backend-team
*.py
tests/ @qa

^[Docs][2] @docs-team
*.md
*.py @py-docs
"""
    owners = parse_codeowners(text)

    assert owners.owners_for("tests/test_x.py") == ["@qa", "@py-docs"]
    assert owners.owners_for("src/app.py") == ["@backend-team", "@py-docs"]
    assert owners.owners_for("README.md") == ["@docs-team"]


def test_rules_remember_their_line_and_section() -> None:
    owners = parse_codeowners("# c\n[S]\n*.py @a\n")

    assert [(r.pattern, r.owners, r.section, r.line) for r in owners.rules] == [
        ("*.py", ("@a",), "S", 3)
    ]


def test_the_github_folder_is_searched_before_the_root_docs_and_gitlab(tmp_path: Path) -> None:
    for folder in ("docs", ".gitlab", ""):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / "CODEOWNERS").write_text("* @x\n", encoding="utf-8")
    assert find_codeowners(tmp_path) == tmp_path / "CODEOWNERS"

    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text("* @gh\n", encoding="utf-8")
    assert find_codeowners(tmp_path) == tmp_path / ".github" / "CODEOWNERS"


def test_no_codeowners_file_means_no_owners(tmp_path: Path) -> None:
    assert (find_codeowners(tmp_path), load_codeowners(tmp_path)) == (None, None)


def test_a_configured_codeowners_path_is_used(tmp_path: Path) -> None:
    (tmp_path / "OWNERS").write_text("tests/ @qa\n", encoding="utf-8")

    loaded = load_codeowners(tmp_path, "OWNERS")

    assert default_owner(loaded, "tests/test_a.py::TestA::test_b[1]") == "@qa"


def test_the_default_owner_of_a_quarantine_entry_is_the_first_owner_of_its_file(
    github: CodeOwners,
) -> None:
    assert default_owner(github, "tests/test_orders.py::test_refund_race") == "@org/payments"
    assert default_owner(github, "empty/test_x.py::test_a") is None
    assert default_owner(None, "tests/test_orders.py::test_refund_race") is None
