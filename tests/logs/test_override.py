"""Debug grants: signed, expiring, level-bounded; the middleware switches one request's level."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from readiness import logs
from readiness.errors import InputError
from readiness.logs import override
from readiness.logs.override import DebugOverride, issue_grant, verify_grant
from tests.logs.conftest import Captured, Configure

KEY = override.derive_key(b"k" * 32)
NOW = 1_700_000_000
TOKEN, GRANT = issue_grant(KEY, subject="alice#3", level="debug", now=NOW, grant_id="g-1")


@pytest.fixture(autouse=True)
def _counts() -> Iterator[None]:
    override.reset_counts()
    yield
    override.reset_counts()


def test_a_grant_is_a_compact_signed_token_of_subject_level_expiry_and_id() -> None:
    assert TOKEN == (
        "rdg1.eyJzdWIiOiJhbGljZSMzIiwibHZsIjoiZGVidWciLCJleHAiOjE3MDAwMDM2MDAsImlkIjoiZy0xIn0"
        ".LXGRqzISgRyh4yxAcs0kNYNAJDdbhLb7MVM0gpDVKt8"
    )
    assert (GRANT.subject, GRANT.level, GRANT.expires, GRANT.grant_id) == (
        "alice#3",
        "debug",
        NOW + 3600,
        "g-1",
    )
    assert verify_grant(KEY, TOKEN, now=NOW, level="debug") == GRANT


def test_a_grant_expires_exactly_at_its_ttl() -> None:
    _, grant = issue_grant(KEY, subject="a", level="trace", now=NOW, ttl_seconds=60)
    token, _ = issue_grant(KEY, subject="a", level="trace", now=NOW, ttl_seconds=60, grant_id="x")
    assert grant.expires == NOW + 60
    assert verify_grant(KEY, token, now=NOW + 59, level="trace") is not None
    assert verify_grant(KEY, token, now=NOW + 60, level="trace") is None
    assert verify_grant(KEY, TOKEN, now=NOW + 3599, level="debug") == GRANT
    assert verify_grant(KEY, TOKEN, now=NOW + 3600, level="debug") is None
    assert override.rejected == {"expired": 2}


@pytest.mark.parametrize(("ttl", "maximum"), [(0, 3600), (-1, 3600), (3601, 3600), (7201, 7200)])
def test_a_ttl_outside_one_second_to_the_maximum_is_refused(ttl: int, maximum: int) -> None:
    with pytest.raises(InputError, match=f"between 1 and {maximum}"):
        issue_grant(
            KEY, subject="a", level="debug", now=NOW, ttl_seconds=ttl, max_ttl_seconds=maximum
        )


def test_the_maximum_ttl_is_configurable() -> None:
    _, grant = issue_grant(
        KEY, subject="a", level="debug", now=NOW, ttl_seconds=7200, max_ttl_seconds=7200
    )
    assert grant.expires == NOW + 7200


def test_only_debug_and_trace_grants_exist() -> None:
    with pytest.raises(InputError, match="must be one of debug, trace"):
        issue_grant(KEY, subject="a", level="info", now=NOW)


def test_a_request_may_not_ask_for_more_than_its_grant_or_the_service_allows() -> None:
    trace_token, _ = issue_grant(KEY, subject="a", level="trace", now=NOW)
    assert verify_grant(KEY, TOKEN, now=NOW, level="trace") is None  # a debug grant
    assert verify_grant(KEY, trace_token, now=NOW, level="debug") is not None
    assert verify_grant(KEY, trace_token, now=NOW, level="trace", max_level="debug") is None
    assert verify_grant(KEY, trace_token, now=NOW, level="info") is None
    assert override.rejected == {"over_level": 2, "bad_level": 1}


def test_a_grant_of_another_key_or_malformed_is_refused_and_counted() -> None:
    other, _ = issue_grant(override.derive_key(b"x" * 32), subject="a", level="debug", now=NOW)
    for token in (other, "", "rdg1.a.b", "rdg2" + TOKEN[4:], TOKEN + ".x", "rdg1.é.x", "x" * 5000):
        assert verify_grant(KEY, token, now=NOW, level="debug") is None
    assert override.rejected == {"forged": 1, "malformed": 6}


@given(st.data())
def test_any_byte_flip_of_a_grant_is_rejected(data: st.DataObject) -> None:
    raw = bytearray(TOKEN.encode("ascii"))
    at = data.draw(st.integers(0, len(raw) - 1))
    raw[at] ^= data.draw(st.integers(1, 255))
    assert verify_grant(KEY, raw.decode("latin-1"), now=NOW, level="debug") is None


@given(st.text(max_size=300))
def test_verifying_never_raises_on_any_text(text: str) -> None:
    assert verify_grant(KEY, text, now=NOW, level="debug") is None


def test_the_derived_key_is_not_the_secret() -> None:
    assert override.derive_key(b"s" * 32) != b"s" * 32
    assert len(override.derive_key(b"s" * 32)) == 32


# --- the middleware ---------------------------------------------------------------------


def _ids() -> Callable[[int], str]:
    counter = itertools.count(1)
    return lambda n: f"{next(counter):0{2 * n}x}"


def _app(handler_gates: dict[str, asyncio.Event] | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/orders")
    def orders() -> dict[str, str]:
        log = logs.get_logger()
        log.debug("cache miss", key="orders:1")
        log.trace("entering lookup")
        log.info("listed")
        return {}

    gates = handler_gates or {}

    @app.get("/work/{name}")
    async def work(name: str) -> dict[str, str]:
        log = logs.get_logger()
        if name == "a":
            log.debug("step 1", who=name)
            gates["a_started"].set()
            await gates["b_done"].wait()
            log.debug("step 2", who=name)
        else:
            await gates["a_started"].wait()
            log.debug("step 1", who=name)
            log.debug("step 2", who=name)
            gates["b_done"].set()
        return {}

    app.add_middleware(DebugOverride, key=KEY, clock=lambda: NOW + 10.0)
    app.add_middleware(logs.RequestLogging, clock=lambda: 1.0, token_hex=_ids())
    return app


async def _get(app: FastAPI, *paths_and_headers: tuple[str, dict[str, str]]) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await asyncio.gather(*(client.get(p, headers=h) for p, h in paths_and_headers))


def _messages(out: Captured) -> list[tuple[str, str]]:
    return [
        (r["level"], r["message"])
        for r in out.records()
        if not r.get("logger", "").startswith("httpx")
    ]


def test_a_granted_request_writes_its_debug_lines_and_one_override_line(
    configure: Configure,
) -> None:
    out = configure()
    asyncio.run(_get(_app(), ("/orders", {"X-Log-Level": "debug", "X-Debug-Grant": TOKEN})))
    first = out.text.splitlines()[0]
    assert first == (
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"info","service":"order-service",'
        '"environment":"test","version":"v2.14.3","trace_id":"00000000000000000000000000000001",'
        '"span_id":"0000000000000003","request_id":"0000000000000002","action":"log.override",'
        '"message":"log.override","grant_id":"g-1","log_level":"debug"}'
    )
    assert TOKEN not in out.text
    assert _messages(out) == [
        ("info", "log.override"),
        ("debug", "cache miss"),
        ("info", "listed"),
        ("info", "http.request"),
    ]


def test_a_trace_grant_writes_trace_lines(configure: Configure) -> None:
    out = configure()
    token, _ = issue_grant(KEY, subject="a", level="trace", now=NOW, grant_id="g-2")
    asyncio.run(_get(_app(), ("/orders", {"X-Log-Level": "TRACE", "X-Debug-Grant": token})))
    assert [m for _, m in _messages(out)] == [
        "log.override",
        "cache miss",
        "entering lookup",
        "listed",
        "http.request",
    ]
    assert _messages(out)[2] == ("trace", "entering lookup")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Log-Level": "debug"},
        {"X-Log-Level": "debug", "X-Debug-Grant": TOKEN[:-1] + "A"},
        {"X-Log-Level": "trace", "X-Debug-Grant": TOKEN},
        {"X-Debug-Grant": TOKEN},
    ],
    ids=["no grant", "forged", "over level", "no level"],
)
def test_a_level_header_without_a_valid_grant_changes_nothing(
    configure: Configure, headers: dict[str, str]
) -> None:
    out = configure()
    asyncio.run(_get(_app(), ("/orders", headers)))
    assert _messages(out) == [("info", "listed"), ("info", "http.request")]


def test_a_header_without_a_grant_is_counted(configure: Configure) -> None:
    configure()
    asyncio.run(_get(_app(), ("/orders", {"X-Log-Level": "debug"})))
    assert override.rejected == {"missing": 1}


def test_an_expired_grant_is_ignored_by_the_middleware(configure: Configure) -> None:
    out = configure()
    token, _ = issue_grant(
        KEY, subject="a", level="debug", now=NOW - 3600, ttl_seconds=3610, max_ttl_seconds=7200
    )
    asyncio.run(_get(_app(), ("/orders", {"X-Log-Level": "debug", "X-Debug-Grant": token})))
    assert _messages(out) == [("info", "listed"), ("info", "http.request")]
    assert override.rejected == {"expired": 1}


def test_the_override_does_not_leak_into_a_concurrent_request(configure: Configure) -> None:
    out = configure()

    async def both() -> None:
        gates = {"a_started": asyncio.Event(), "b_done": asyncio.Event()}
        await _get(
            _app(gates),
            ("/work/a", {"X-Log-Level": "debug", "X-Debug-Grant": TOKEN}),
            ("/work/b", {}),
        )

    asyncio.run(both())
    debug = [(r["message"], r["who"]) for r in out.records() if r["level"] == "debug"]
    assert debug == [("step 1", "a"), ("step 2", "a")]
    logs.get_logger().debug("after the requests")
    assert "after the requests" not in out.text


def test_the_middleware_refuses_an_unknown_maximum_level() -> None:
    with pytest.raises(ValueError, match="max_level must be one of debug, trace"):
        DebugOverride(FastAPI(), key=KEY, max_level="info")


def test_a_service_may_cap_grants_at_debug(configure: Configure) -> None:
    out = configure()
    token, _ = issue_grant(KEY, subject="a", level="trace", now=NOW, grant_id="g-3")
    app = FastAPI()

    @app.get("/orders")
    def orders() -> dict[str, str]:
        logs.get_logger().trace("entering lookup")
        return {}

    app.add_middleware(DebugOverride, key=KEY, clock=lambda: float(NOW), max_level="debug")
    asyncio.run(_get(app, ("/orders", {"X-Log-Level": "trace", "X-Debug-Grant": token})))
    assert _messages(out) == []
    assert override.rejected == {"over_level": 1}


def test_the_lines_of_a_granted_request_are_never_sampled_out(configure: Configure) -> None:
    out = configure(sample_rate=0.0)
    asyncio.run(_get(_app(), ("/orders", {"X-Log-Level": "debug", "X-Debug-Grant": TOKEN})))
    asyncio.run(_get(_app(), ("/orders", {})))
    # the summary line too (tests/logs/test_asgi.py); the request without a grant loses all
    assert _messages(out) == [
        ("info", "log.override"),
        ("debug", "cache miss"),
        ("info", "listed"),
        ("info", "http.request"),
    ]
    assert not any("sample_rate" in r for r in out.records())


def test_trace_is_a_level_below_debug(configure: Configure) -> None:
    assert logs.LEVELS["trace"] == override.TRACE < logs.LEVELS["debug"]
    out = configure(level="trace", cache_loggers=False)
    logs.get_logger().trace("entering %s", "lookup", cart_total=149.99)
    logs.get_logger().debug("cache miss")
    at_debug = configure(level="debug", cache_loggers=False)
    logs.get_logger().trace("hidden at debug")
    assert at_debug.text == ""
    assert out.text.splitlines() == [
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"trace","service":"order-service",'
        '"environment":"test","version":"v2.14.3","message":"entering lookup","cart_total":149.99}',
        '{"timestamp":"2025-03-15T14:23:01.123Z","level":"debug","service":"order-service",'
        '"environment":"test","version":"v2.14.3","message":"cache miss"}',
    ]
