"""The redaction's use of the optional C accelerator (``native/``), both ways. The card and IBAN
validators: the accelerator answers what the Python functions answer wherever it answers (None:
the Python function decides), and the public validators give the same results with and without
it. ``gates.many``: each line's gates, placed by ``GateLines`` in C, are the ones the Python
match handler places."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import (
    Redactor,
    default_detectors,
    detectors,
    gates,
    scanning,
    validators,
)
from tests.logs.test_detector_gates import _ASCII_LINES

ACCELERATOR = validators._load_speedups()

needs_accelerator = pytest.mark.skipif(
    ACCELERATOR is None, reason="the C accelerator (native/) is not installed"
)

#: Characters an IBAN candidate may hold, and some it may not (the Python path decides those).
_IBAN_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz0123456789 "
_COUNTRIES = st.sampled_from(sorted(validators.IBAN_LENGTHS))


def _with_check_digits(country: str, bban: str) -> str:
    """``country`` and ``bban`` with the check digits that make them a valid IBAN."""
    number = int("".join(str(int(ch, 36)) for ch in f"{bban}{country}00"))
    return f"{country}{98 - number % 97:02d}{bban}"


_IBANS = st.one_of(
    st.text(alphabet=_IBAN_CHARACTERS, max_size=40),
    st.builds(
        _with_check_digits,
        _COUNTRIES,
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=11, max_size=30),
    ),
    st.builds(
        lambda country, digits: country + digits,
        _COUNTRIES,
        st.text(alphabet="0123456789 ", min_size=10, max_size=34),
    ),
    st.text(max_size=30),
)
_CARDS = st.one_of(
    st.text(alphabet="0123456789", max_size=22),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["4", "51", "55", "2221", "2720", "34", "37", "6011", "65", "644", "649"]),
        st.text(alphabet="0123456789", min_size=9, max_size=17),
    ),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(["35", "30", "36", "38", "62", "2220", "2721", "643", "650"]),
        st.text(alphabet="0123456789", min_size=9, max_size=17),
    ),
    st.text(max_size=20),
)


@pytest.fixture(params=["accelerator", "python"])
def speedups(request: pytest.FixtureRequest) -> Iterator[str]:
    """The validators with the accelerator and without it (``READINESS_PURE_PYTHON``), restored
    after."""
    if request.param == "accelerator" and ACCELERATOR is None:
        pytest.skip("the C accelerator (native/) is not installed")
    saved = validators._speedups
    validators._speedups = ACCELERATOR if request.param == "accelerator" else None
    try:
        yield str(request.param)
    finally:
        validators._speedups = saved


def _python_card(digits: str) -> bool | str:
    try:
        return validators._card_valid(digits)
    except ValueError:
        return "ValueError"


def _python_iban(candidate: str) -> bool | str:
    try:
        return validators._iban_valid(candidate)
    except ValueError:
        return "ValueError"


@needs_accelerator
@settings(max_examples=3000, deadline=None)
@given(digits=_CARDS)
def test_the_accelerated_card_check_answers_what_python_answers(digits: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.card_valid(digits)
    if fast is None:
        assert not (digits.isascii() and digits.isdigit())
    else:
        assert fast == _python_card(digits)


@needs_accelerator
def test_every_card_prefix_and_length_gets_the_python_answer() -> None:
    assert ACCELERATOR is not None
    for prefix in range(10_000):
        for length in range(12, 21):
            for last in "0123456789":
                digits = f"{prefix:04d}{'7' * (length - 5)}{last}"
                assert ACCELERATOR.card_valid(digits) == validators._card_valid(digits), digits


@needs_accelerator
@settings(max_examples=3000, deadline=None)
@given(candidate=_IBANS)
def test_the_accelerated_iban_check_answers_what_python_answers(candidate: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.iban_valid(candidate, validators.IBAN_LENGTHS)
    if fast is not None:
        assert fast == _python_iban(candidate)
    if candidate.isascii() and len(candidate) <= 64:
        assert (fast is None) == any(not (c.isalnum() or c == " ") for c in candidate)


def test_known_values_both_ways(speedups: str) -> None:
    assert validators.card_valid("4111111111111111") is True
    assert validators.card_valid("4111111111111112") is False
    assert validators.card_valid("3579137884828885") is True
    # Arabic-Indic digits: the Python path (``int`` reads them, Luhn takes their code points).
    for digits in ("\u0665\u0661" + "1" * 14, "\u0664" * 16):
        assert validators.card_valid(digits) == validators._card_valid(digits)
    assert validators.iban_valid("GB82 WEST 1234 5698 7654 32") is True
    assert validators.iban_valid("gb82 west 1234 5698 7654 32") is True
    assert validators.iban_valid("GB82 WEST 1234 5698 7654 33") is False
    assert validators.iban_valid("GB82 WEST 1234 5698 7654") is False
    with pytest.raises(ValueError):
        validators.iban_valid("XX82-WEST-1234-5698-7654-32")


@settings(max_examples=500, deadline=None)
@given(digits=_CARDS, candidate=_IBANS)
def test_the_public_validators_agree_both_ways(digits: str, candidate: str) -> None:
    results = []
    saved = validators._speedups
    try:
        for chosen in (ACCELERATOR, None):
            validators._speedups = chosen
            results.append((_public_card(digits), _public_iban(candidate)))
    finally:
        validators._speedups = saved
    assert results[0] == results[1]


def _public_card(digits: str) -> bool | str:
    try:
        return validators.card_valid(digits)
    except ValueError:
        return "ValueError"


def _public_iban(candidate: str) -> bool | str:
    try:
        return validators.iban_valid(candidate)
    except ValueError:
        return "ValueError"


_TOKENS = st.text(alphabet='0123456789abcdefABCDEFghxyzGXZ+/_-= .:"', max_size=90)


@needs_accelerator
@settings(max_examples=3000, deadline=None)
@given(text=_TOKENS | st.text(max_size=40))
def test_the_accelerated_secret_check_answers_what_python_answers(text: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.secret_candidates(text)
    if text.isascii():
        assert fast == detectors._secret_candidates(text)
    else:
        assert fast is None


def test_the_secret_detector_takes_the_check_of_the_validators_in_use(speedups: str) -> None:
    secret = default_detectors()[-1]
    if speedups == "python":
        assert secret.ascii_check is detectors._secret_candidates
    else:
        assert ACCELERATOR is not None
        assert secret.ascii_check is ACCELERATOR.secret_candidates
    assert secret.ascii_check is not None
    check = secret.ascii_check
    assert check("k: " + "0123456789abcdef" * 2) is False  # hex: an identifier
    assert check("k: 0123-4567-89ab-cdef-0123") is False  # 20 hex digits among dashes
    assert check("k: 0-1-2-3-4-5-6-7-8-9-a") is True  # 11 hex digits, 10 dashes
    assert check("k: " + "g1B2" * 5) is True
    assert check("k: " + "g1B2" * 4 + "g1B") is False  # 19 long
    assert check("k=" + "0123456789abcdef" * 2) is True  # "k=" is part of the run


_SSN_TEXTS = st.text(alphabet="0123456789 -_xA.\u00e9", max_size=60)


def _in_python(name: str, text: str) -> tuple[str, list[str], bool]:
    detector = next(d for d in default_detectors() if d.pattern is getattr(detectors, name))
    found: list[str] = []
    markers = True

    def replace(m: re.Match[str]) -> str:
        nonlocal markers
        replaced = detector.replace(m)
        assert isinstance(replaced, str | None)
        if replaced is None:
            return m.group(0)
        found.append(m.group(0))
        markers = markers and replaced in scanning._MARKERS
        return replaced

    return scanning._ascii_twin(detector.pattern).sub(replace, text), found, markers


@needs_accelerator
@settings(max_examples=5000, deadline=None)
@given(text=_SSN_TEXTS | st.text(max_size=40))
def test_the_accelerated_ssn_detector_gives_what_its_pattern_gives(text: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.ssn_sub(text)
    if text.isascii():
        assert fast == _in_python("_SSN", text)
    else:
        assert fast is None


_EMAIL_TEXTS = st.one_of(
    st.text(alphabet="ab1-.@_%+ Z.", max_size=30),
    st.builds(
        lambda local, domain, top, after: f"{local}@{domain}.{top}{after}",
        st.sampled_from(["x" * 63, "x" * 64, "x" * 65, "a.b", "-", "%+_"]),
        st.sampled_from(["b" * 62, "b" * 63, "b" * 64, "b.c", "b..c", "1-2"]),
        st.sampled_from(["c", "cc", "c" * 63, "c" * 64, "c1", "cc.dd"]),
        st.sampled_from(["", " ", "-", ".", "@x.io", "1"]),
    ),
)


@needs_accelerator
@settings(max_examples=8000, deadline=None)
@given(text=_EMAIL_TEXTS | st.text(max_size=30))
def test_the_accelerated_email_detector_gives_what_its_pattern_gives(text: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.email_sub(text)
    if text.isascii():
        assert fast == _in_python("_EMAIL", text)
    else:
        assert fast is None


@needs_accelerator
@settings(max_examples=8000, deadline=None)
@given(text=st.text(alphabet="0012abcdefABCDEF::", max_size=40) | st.text(max_size=20))
def test_the_accelerated_ipv6_network_is_what_python_gives(text: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.ipv6_network(text)
    match = re.fullmatch(r".*", text, re.S)
    assert match is not None
    saved = detectors._ipv6_network
    try:
        detectors._ipv6_network = None
        try:
            in_python: str | None = detectors._ipv6(match)
        except ValueError:
            in_python = None
    finally:
        detectors._ipv6_network = saved
    if fast is not None:
        assert fast == in_python
    if re.fullmatch(r"[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4}){7}", text):
        assert fast is not None


_IPV4_TEXTS = st.lists(
    st.sampled_from(["1", "0", "00", "01", "25", "255", "256", "199", "249", "2", "300", "9999"])
    | st.sampled_from([".", ".", ".", " ", "/", "a", "_", "-", ":", ".x", "\u00e9"]),
    max_size=24,
).map("".join)


@needs_accelerator
@settings(max_examples=8000, deadline=None)
@given(text=_IPV4_TEXTS | st.text(alphabet="0123456789. /a", max_size=40))
def test_the_accelerated_ipv4_detector_gives_what_its_pattern_gives(text: str) -> None:
    assert ACCELERATOR is not None
    fast = ACCELERATOR.ipv4_sub(text)
    if text.isascii():
        replaced, found, _markers = _in_python("_IPV4", text)
        assert fast == (replaced, found, False)  # its replacements are no markers
    else:
        assert fast is None


#: Short matches packed densely: the replacements ("[EMAIL]" for a 6-character address, a /24
#: for "1.2.3.4") make the text longer than it was, by more the more matches it holds.
_DENSE = st.lists(
    st.sampled_from(["a@b.cc", "x.y@ab.io", "1.2.3.4", "10.0.0.1", "123-45-6789", "078 05 1120"])
    | st.sampled_from([" ", ",", "\t", "x", "-", "."]),
    max_size=3000,
).map("".join)


@needs_accelerator
@settings(max_examples=200, deadline=None)
@given(text=_DENSE)
def test_the_accelerated_detectors_agree_on_long_texts_dense_with_short_matches(
    text: str,
) -> None:
    assert ACCELERATOR is not None
    assert ACCELERATOR.email_sub(text) == _in_python("_EMAIL", text)
    assert ACCELERATOR.ssn_sub(text) == _in_python("_SSN", text)
    replaced, found, _markers = _in_python("_IPV4", text)
    assert ACCELERATOR.ipv4_sub(text) == (replaced, found, False)


@needs_accelerator
def test_five_thousand_adjacent_addresses_are_all_replaced() -> None:
    # The e-mail output once had room for the text and 8 bytes more: this line overran it
    # (5,000 addresses of 6 characters grow by 1 each) and the process aborted.
    assert ACCELERATOR is not None
    text = " ".join(["a@b.cc"] * 5000)
    replaced, found, markers = ACCELERATOR.email_sub(text)
    assert (replaced, len(found), markers) == (" ".join(["[EMAIL]"] * 5000), 5000, True)
    replaced, found, _ = ACCELERATOR.ipv4_sub(" ".join(["1.2.3.4"] * 5000))
    assert (replaced, len(found)) == (" ".join(["1.2.3.0/24"] * 5000), 5000)


def test_the_ssn_detector_takes_the_accelerator_in_use(speedups: str) -> None:
    ssn = next(d for d in default_detectors() if d.kind == "ssn")
    assert (ssn.ascii_sub is None) == (speedups == "python")
    for pattern in (detectors._IPV4, detectors._EMAIL):
        detector = next(d for d in default_detectors() if d.pattern is pattern)
        assert (detector.ascii_sub is None) == (speedups == "python")
    redactor = Redactor(detectors=default_detectors())
    found: list[tuple[str, str]] = []
    redactor.on_finding = lambda kind, original: found.append((kind, original))
    lines = ["ssn 123-45-6789, 000-12-3456 and 219 09 9999", "ids 123-45-67890 987-65-4321"]
    assert redactor.texts(lines) == ["ssn [SSN], 000-12-3456 and [SSN]", lines[1]]
    assert [redactor.text(line) for line in lines] == redactor.texts(lines)
    assert found == [("ssn", "123-45-6789"), ("ssn", "219 09 9999")] * 3
    assert redactor.counts == {"ssn": 6}


def _many_gates() -> gates.Gates:
    many = gates.compiled_many([d.gate for d in default_detectors() if d.gate is not None])
    assert many is not None
    return many


@pytest.mark.skipif(gates._gate_lines is None, reason="the C accelerator (native/) is missing")
@settings(max_examples=500, deadline=None)
@given(texts=st.lists(_ASCII_LINES, max_size=12))
def test_gate_lines_place_each_match_where_python_does(texts: list[str]) -> None:
    many = _many_gates()
    saved = gates._gate_lines
    try:
        gates._gate_lines = None
        in_python = gates.many(many, texts)
    finally:
        gates._gate_lines = saved
    in_c = gates.many(many, texts)
    assert in_c == [sorted(line) for line in in_python]
    assert all(len(set(line)) == len(line) for line in in_python)


@pytest.mark.skipif(gates._gate_lines is None, reason="the C accelerator (native/) is missing")
def test_gate_lines_exact_places() -> None:
    assert gates._gate_lines is not None
    lines = gates._gate_lines(["ab", "", "xyz"])
    # "\nab\n\nxyz\n": a match ending on a line's last character or on its newline is its own.
    for gate, end in ((3, 2), (5, 4), (1, 8), (1, 9), (0, 3)):
        assert lines(gate, 0, end, 0, None) is None
    assert lines.found() == [[0, 3, 5], [], [1]]
    with pytest.raises(ValueError, match="0 to 63"):
        lines(64, 0, 1, 0, None)
    assert gates.many(_many_gates(), []) == []


def _detectors_without_accelerator() -> list[detectors.Detector]:
    saved = validators._speedups
    try:
        validators._speedups = None
        return default_detectors()
    finally:
        validators._speedups = saved


@needs_accelerator
@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_ASCII_LINES | _EMAIL_TEXTS | _IPV4_TEXTS | _SSN_TEXTS, max_size=8))
def test_texts_give_the_same_with_and_without_the_accelerator(texts: list[str]) -> None:
    runs = []
    for chosen in (default_detectors(), _detectors_without_accelerator()):
        redactor = Redactor(detectors=chosen)
        found: list[tuple[str, str]] = []
        redactor.on_finding = lambda kind, original, found=found: found.append((kind, original))
        batch = redactor.texts(texts)
        redactor.on_finding = None
        one_by_one = [redactor.text(text) for text in texts]
        runs.append((batch, one_by_one, found, redactor.counts))
    assert runs[0] == runs[1]
