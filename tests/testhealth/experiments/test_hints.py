from __future__ import annotations

from pathlib import Path

import pytest

from readiness.errors import InputError, NotFoundError
from readiness.testhealth.experiments.hints import hints_for_file, hints_for_test, split_test_id
from readiness.testhealth.model import Hint

MODULE = """\
import asyncio
import random
import socket
import time
import uuid
from datetime import date, datetime

import httpx
import requests

SEEN = []
CACHE: dict[str, int] = {}
LIMIT = 3
__all__ = ["x"]
COUNTS = dict()


def test_sleeps():
    time.sleep(0.5)
    time.sleep(0)


async def test_async_sleep():
    await asyncio.sleep(2)


def test_clock():
    assert datetime.now().year > 2000
    assert date.today() is not None
    assert time.time() > 0


def test_random():
    assert random.randint(1, 6) <= 6
    assert uuid.uuid4()


def test_seeded_random():
    random.seed(42)
    assert random.randint(1, 6) <= 6


def test_network():
    requests.get("https://api.example.com/orders")
    httpx.get("http://localhost:8000/x")
    socket.create_connection(("db.internal", 5432))


def test_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 8080))
    run_server(port=9000)


def test_temp():
    path = "/tmp/orders.json"


def test_state():
    global LIMIT
    SEEN.append(1)
    LIMIT = 4


def test_clean():
    assert COUNTS is not None or LIMIT


class TestOrders:
    def test_in_class(self):
        time.sleep(1)
"""


def _kinds(function: str, class_name: str | None = None) -> list[tuple[str, int, str]]:
    return [(h.kind, h.line, h.text) for h in hints_for_test(MODULE, function, class_name)]


def test_a_constant_sleep_is_a_hint_but_sleep_zero_is_not() -> None:
    assert _kinds("test_sleeps") == [("sleep", 19, "time.sleep(0.5)")]


def test_a_constant_asyncio_sleep_is_a_hint() -> None:
    assert _kinds("test_async_sleep") == [("sleep", 24, "await asyncio.sleep(2)")]


def test_reading_the_wall_clock_is_a_hint() -> None:
    assert [k[:2] for k in _kinds("test_clock")] == [
        ("wall-clock", 28),
        ("wall-clock", 29),
        ("wall-clock", 30),
    ]


def test_module_random_functions_without_a_seed_and_uuid4_are_unseeded_random() -> None:
    assert [k[:2] for k in _kinds("test_random")] == [
        ("unseeded-random", 34),
        ("unseeded-random", 35),
    ]


def test_a_seeded_random_module_is_not_a_hint() -> None:
    assert _kinds("test_seeded_random") == []


def test_remote_hosts_are_network_hints_and_loopback_is_not() -> None:
    assert [k[:2] for k in _kinds("test_network")] == [
        ("network", 44),
        ("hard-coded-port", 45),
        ("hard-coded-port", 46),
        ("network", 46),
    ]


def test_hard_coded_ports_in_bind_and_keywords_are_hints() -> None:
    assert [k[:2] for k in _kinds("test_port")] == [
        ("hard-coded-port", 51),
        ("hard-coded-port", 52),
    ]


def test_a_tmp_path_literal_is_a_hint() -> None:
    assert _kinds("test_temp") == [("temp-path", 56, 'path = "/tmp/orders.json"')]


def test_global_statements_and_used_module_level_mutables_are_module_state() -> None:
    assert _kinds("test_state") == [
        ("module-state", 11, "SEEN = []"),
        ("module-state", 60, "global LIMIT"),
    ]


def test_module_state_made_by_a_call_counts_when_the_test_reads_it() -> None:
    assert _kinds("test_clean") == [("module-state", 15, "COUNTS = dict()")]


def test_methods_of_test_classes_are_found_by_class_name() -> None:
    assert _kinds("test_in_class", "TestOrders") == [("sleep", 71, "time.sleep(1)")]


def test_an_aliased_import_is_resolved() -> None:
    source = (
        "import time as t\nfrom time import sleep\n\ndef test_x():\n    t.sleep(1)\n    sleep(2)\n"
    )

    assert hints_for_test(source, "test_x", None) == [
        Hint("sleep", 5, "t.sleep(1)"),
        Hint("sleep", 6, "sleep(2)"),
    ]


def test_a_missing_function_is_not_found() -> None:
    with pytest.raises(NotFoundError) as raised:
        hints_for_test(MODULE, "test_nope", "TestOrders")

    assert str(raised.value) == ("test function 'TestOrders.test_nope' not found in <test source>")


def test_invalid_source_is_an_input_error_with_the_line() -> None:
    with pytest.raises(InputError) as raised:
        hints_for_test("def (:\n", "test_x", None)

    assert str(raised.value) == (
        "test source line 1: not valid Python (invalid syntax); cannot look for hints"
    )


def test_an_unreadable_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as raised:
        hints_for_file(tmp_path / "test_gone.py", "test_gone.py::test_x")

    assert str(raised.value) == (
        "test file test_gone.py: cannot be read (No such file or directory)"
    )


def test_a_test_id_is_split_into_file_class_and_function_without_parameters() -> None:
    assert split_test_id("tests/t.py::TestA::test_b[1-2]") == ("tests/t.py", "TestA", "test_b")
    assert split_test_id("t.py::test_b") == ("t.py", None, "test_b")


def test_hints_for_a_file_read_the_module_and_find_the_test(tmp_path: Path) -> None:
    path = tmp_path / "test_m.py"
    path.write_text(MODULE, encoding="utf-8")

    hints = hints_for_file(path, "test_m.py::test_temp")

    assert hints == [Hint("temp-path", 56, 'path = "/tmp/orders.json"')]
