"""Fuzzing the detectors: any text, random ids, hostile inputs scanned in linear time."""

from __future__ import annotations

import dataclasses
import random
import re
import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import Redactor, default_detectors, scan

_trace_ids = st.binary(min_size=16, max_size=16).map(bytes.hex)
_span_ids = st.binary(min_size=8, max_size=8).map(bytes.hex)

#: What a naive "redact every long digit run" rule looks like (card and phone numbers).
NAIVE_CARD_OR_PHONE = re.compile(r"\d{7,}|\d{3}[ .\-]?\d{3}[ .\-]?\d{4}")


@settings(max_examples=300, deadline=None)
@given(trace_id=_trace_ids, span_id=_span_ids, request_id=st.uuids())
def test_random_ids_are_never_redacted_as_fields_values_or_in_text(
    trace_id: str, span_id: str, request_id: uuid.UUID
) -> None:
    redactor = Redactor()
    event = {"trace_id": trace_id, "span_id": span_id, "request_id": str(request_id)}
    assert redactor.mapping(event) == event
    assert redactor.mapping({"note": trace_id, "other": str(request_id)}) == {
        "note": trace_id,
        "other": str(request_id),
    }
    text = f"retry trace {trace_id} span {span_id} request {request_id} failed"
    assert redactor.text(text) == text


def test_a_naive_card_or_phone_regex_matches_random_trace_ids_that_the_detectors_leave() -> None:
    rng = random.Random(20)
    ids = [rng.randbytes(16).hex() for _ in range(1000)]
    naive = sum(1 for i in ids if NAIVE_CARD_OR_PHONE.search(i))
    assert naive == 341
    redactor = Redactor()
    assert sum(1 for i in ids if redactor.text(f"id {i}") != f"id {i}") == 0


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_scans_without_error(text: str) -> None:
    assert isinstance(Redactor().text(text), str)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789 -.:+()@aAeyJ_/=kx")),
        max_size=200,
    )
)
def test_digit_and_punctuation_soup_scans_without_error(text: str) -> None:
    assert isinstance(Redactor().text(text), str)


HOSTILE = {
    "at-signs": "a@" * 100_000,
    "email-labels": "a@b." * 50_000,
    "dotted-then-at": "a." * 100_000 + "@",
    "digit-space": "1 " * 100_000,
    "digit-dash": "1-" * 100_000,
    "digits": "1" * 200_000,
    "plus-digits": "+1" * 100_000,
    "parens": "(1)" * 70_000,
    "jwt-prefix": "eyJ-" * 50_000,
    "colons": ":" * 200_000,
    "hex-colons": "ab:" * 70_000,
    "octets": "1.1.1." * 35_000,
    "iban-groups": "DE89 " * 40_000,
    "bearer": "bearer " * 30_000,
    "token-run": "aB3" * 70_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_inputs_of_200k_characters_scan_in_linear_time(name: str) -> None:
    # Catastrophic backtracking on 200k characters takes hours; linear scanning takes ~0.1 s.
    started = time.perf_counter()
    Redactor().text(HOSTILE[name])
    assert time.perf_counter() - started < 2.0


_UNFILTERED = [dataclasses.replace(d, prefilter=None) for d in default_detectors()]


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("0123456789abcdefABCDEF:. -\tBbEeAaRr+()")), max_size=120)
)
def test_prefilters_only_skip_texts_their_detector_finds_nothing_in(text: str) -> None:
    assert scan(text, default_detectors()) == scan(text, _UNFILTERED)
