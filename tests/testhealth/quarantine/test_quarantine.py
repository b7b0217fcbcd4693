from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.errors import InputError, NotFoundError
from readiness.testhealth.model import QuarantineEntry
from readiness.testhealth.quarantine.file import (
    add_entry,
    load_quarantine_file,
    parse_quarantine_toml,
    remove_entry,
    render_quarantine_toml,
    write_quarantine_file,
)

EXAMPLE = """\
# Quarantined tests: they still run, their failures never fail the build. Reviewed like code.
[[quarantine]]
test = "tests/test_orders.py::test_refund_race"
owner = "@payments-team"
reason = "fails ~3% on CI since the async refactor"
issue = "https://tracker.example/PAY-123"
created = 2026-03-01
expires = 2026-03-31
created_by = "alice"
"""

REFUND = QuarantineEntry(
    test_id="tests/test_orders.py::test_refund_race",
    owner="@payments-team",
    reason="fails ~3% on CI since the async refactor",
    issue="https://tracker.example/PAY-123",
    created=datetime(2026, 3, 1, tzinfo=UTC),
    expires=datetime(2026, 3, 31, tzinfo=UTC),
    created_by="alice",
)


def _entry(test_id: str, reason: str = "flaky") -> QuarantineEntry:
    return QuarantineEntry(
        test_id=test_id,
        owner=None,
        reason=reason,
        issue=None,
        created=datetime(2026, 3, 1, tzinfo=UTC),
        expires=datetime(2026, 4, 1, tzinfo=UTC),
    )


def test_the_documented_example_parses_to_one_entry_with_midnight_utc_dates() -> None:
    assert parse_quarantine_toml(EXAMPLE, "q.toml") == [REFUND]


def test_an_empty_file_quarantines_nothing() -> None:
    assert parse_quarantine_toml("# nothing yet\n", "q.toml") == []


def test_offset_datetimes_are_converted_to_utc_and_naive_ones_read_as_utc() -> None:
    text = EXAMPLE.replace("created = 2026-03-01", "created = 2026-03-01T10:00:00+02:00")
    text = text.replace("expires = 2026-03-31", "expires = 2026-03-31T12:30:00")

    [entry] = parse_quarantine_toml(text, "q.toml")

    assert entry.created == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert entry.expires == datetime(2026, 3, 31, 12, 30, tzinfo=UTC)


def test_optional_fields_may_be_left_out() -> None:
    text = '[[quarantine]]\ntest = "t.py::a"\nreason = "r"\n'
    text += "created = 2026-03-01\nexpires = 2026-03-02\n"

    [entry] = parse_quarantine_toml(text, "q.toml")

    assert (entry.owner, entry.issue, entry.created_by) == (None, None, "unknown")


def test_a_missing_reason_names_the_file_the_entry_and_the_field() -> None:
    text = (
        EXAMPLE + '\n[[quarantine]]\ntest = "t.py::b"\ncreated = 2026-03-01\nexpires = 2026-03-02\n'
    )

    with pytest.raises(InputError) as info:
        parse_quarantine_toml(text, ".readiness/quarantine.toml")

    assert str(info.value) == (
        "quarantine file .readiness/quarantine.toml entry 1 field 'reason': "
        "a non-empty string is required (got nothing)"
    )


def test_a_bad_date_is_rejected_with_what_was_given() -> None:
    text = EXAMPLE.replace("expires = 2026-03-31", 'expires = "next month"')

    with pytest.raises(InputError) as info:
        parse_quarantine_toml(text, "q.toml")

    assert str(info.value) == (
        "quarantine file q.toml entry 0 field 'expires': expected a TOML date like 2026-03-31 "
        '(got "next month", a string)'
    )


def test_an_expiry_before_creation_is_rejected() -> None:
    text = EXAMPLE.replace("expires = 2026-03-31", "expires = 2026-02-01")

    with pytest.raises(InputError) as info:
        parse_quarantine_toml(text, "q.toml")

    assert str(info.value) == (
        "quarantine file q.toml entry 0 field 'expires': expiry 2026-02-01 is not after "
        "creation 2026-03-01; set a later expiry"
    )


def test_a_duplicate_test_names_both_entries() -> None:
    body = EXAMPLE.split("\n", 1)[1]

    with pytest.raises(InputError) as info:
        parse_quarantine_toml(EXAMPLE + "\n" + body, "q.toml")

    assert str(info.value) == (
        "quarantine file q.toml entry 1 field 'test': duplicate test "
        "'tests/test_orders.py::test_refund_race' (also entry 0); keep one entry per test"
    )


def test_an_unknown_field_is_rejected_so_typos_do_not_pass_review() -> None:
    text = EXAMPLE.replace("owner =", "ownr =")

    with pytest.raises(InputError, match="entry 0 field 'ownr': unknown field"):
        parse_quarantine_toml(text, "q.toml")


def test_invalid_toml_names_the_file() -> None:
    with pytest.raises(InputError, match=r"^quarantine file q.toml: not valid TOML"):
        parse_quarantine_toml("[[quarantine]\n", "q.toml")


def test_rendering_sorts_entries_by_test_id_and_writes_dates_as_local_dates() -> None:
    text = render_quarantine_toml([_entry("b.py::t"), REFUND, _entry("a.py::t")])

    assert text.splitlines()[2:11] == [
        "[[quarantine]]",
        'test = "a.py::t"',
        'reason = "flaky"',
        "created = 2026-03-01",
        "expires = 2026-04-01",
        'created_by = "unknown"',
        "",
        "[[quarantine]]",
        'test = "b.py::t"',
    ]


_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s != "")
_instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


_durations = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650))


@st.composite
def _entries(draw: st.DrawFn) -> QuarantineEntry:
    created = draw(_instants)
    return QuarantineEntry(
        test_id=draw(_text),
        owner=draw(st.none() | _text),
        reason=draw(_text),
        issue=draw(st.none() | _text),
        created=created,
        expires=created
        + draw(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650))),
        created_by=draw(_text),
    )


@given(st.lists(_entries(), max_size=5, unique_by=lambda e: e.test_id))
def test_rendering_then_parsing_gives_back_the_entries_in_test_id_order(
    entries: list[QuarantineEntry],
) -> None:
    parsed = parse_quarantine_toml(render_quarantine_toml(entries), "q.toml")

    assert parsed == sorted(entries, key=lambda e: e.test_id)


def test_a_missing_file_quarantines_nothing(tmp_path: Path) -> None:
    assert load_quarantine_file(tmp_path / "absent.toml") == []


def test_writing_then_loading_round_trips_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / ".readiness" / "quarantine.toml"

    write_quarantine_file(path, [REFUND])

    assert load_quarantine_file(path) == [REFUND]
    assert sorted(p.name for p in path.parent.iterdir()) == ["quarantine.toml"]


def test_a_write_that_crashes_before_the_rename_keeps_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quarantine.toml"
    write_quarantine_file(path, [REFUND])
    before = path.read_text(encoding="utf-8")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("readiness.testhealth.quarantine.file.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_quarantine_file(path, [REFUND, _entry("a.py::t")])

    assert path.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quarantine.toml"]


def test_adding_a_new_test_appends_it() -> None:
    assert add_entry([REFUND], _entry("a.py::t")) == [REFUND, _entry("a.py::t")]


def test_adding_an_already_quarantined_test_updates_its_entry() -> None:
    updated = _entry(REFUND.test_id, reason="still flaky")

    assert add_entry([_entry("a.py::t"), REFUND], updated) == [_entry("a.py::t"), updated]


def test_removing_a_quarantined_test_keeps_the_others() -> None:
    assert remove_entry([REFUND, _entry("a.py::t")], REFUND.test_id) == [_entry("a.py::t")]


def test_removing_a_test_that_is_not_quarantined_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=r"^test 'x.py::t' is not quarantined"):
        remove_entry([REFUND], "x.py::t")
