"""Sampling: per trace, whole requests, never WARN+ or audit lines; the rate at the threshold."""

from __future__ import annotations

import logging

import pytest

from readiness import logs
from readiness.logs.override import overridden
from readiness.logs.sampling import keep, sample_fraction
from tests.logs.conftest import Configure

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_the_fraction_is_sha256_based_and_stable() -> None:
    assert sample_fraction(TRACE) == 0.2247740585351213


def test_a_trace_is_kept_just_above_its_fraction_and_dropped_at_it() -> None:
    fraction = sample_fraction(TRACE)
    assert keep("info", TRACE, rate=fraction) is False
    assert keep("info", TRACE, rate=fraction + 1e-12) is True


@pytest.mark.parametrize("level", ["warn", "error", "fatal"])
def test_warn_and_above_are_never_sampled(level: str) -> None:
    assert keep(level, TRACE, rate=0.0) is True


def test_audit_lines_and_lines_without_a_trace_are_never_sampled() -> None:
    assert keep("info", TRACE, rate=0.0, audit=True) is True
    assert keep("debug", None, rate=0.0) is True


def test_a_request_is_kept_or_dropped_whole_and_kept_lines_record_the_rate(
    configure: Configure,
) -> None:
    fraction = sample_fraction(TRACE)
    out = configure(level="debug", sample_rate=fraction)  # at the threshold: dropped
    log = logs.get_logger()
    with logs.bound(trace_id=TRACE):
        log.debug("d")
        log.info("i")
        logging.getLogger("lib").info("lib i")
        log.warning("w")
        logging.getLogger("lib").error("lib e")
        log.info("audited", audit=True)
    assert [(r["message"], r.get("sample_rate")) for r in out.records()] == [
        ("w", None),
        ("lib e", None),
        ("audited", None),
    ]
    logs.reset()
    out = configure(level="debug", sample_rate=0.5)  # above the fraction: kept whole
    log = logs.get_logger()
    with logs.bound(trace_id=TRACE):
        log.debug("d")
        logging.getLogger("lib").info("lib i")
    assert [(r["message"], r.get("sample_rate")) for r in out.records()] == [
        ("d", 0.5),
        ("lib i", 0.5),
    ]


def test_a_request_under_a_debug_grant_keeps_its_own_and_its_libraries_lines_whole(
    configure: Configure,
) -> None:
    out = configure(level="info", sample_rate=sample_fraction(TRACE))  # the trace is dropped
    log = logs.get_logger()
    with logs.bound(trace_id=TRACE):
        log.info("dropped")
        logging.getLogger("lib").info("lib dropped")
        with overridden("debug"):
            log.debug("d")
            log.info("i")
            logging.getLogger("lib").info("lib i")
    assert [(r["message"], r.get("sample_rate")) for r in out.records()] == [
        ("d", None),
        ("i", None),
        ("lib i", None),
    ]


def test_a_rate_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sample rate must be between 0 and 1 \(got 1.5\)"):
        logs.configure("s", "e", "v", sample_rate=1.5)
