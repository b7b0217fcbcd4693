"""Runs tests in fresh pytest processes, in a given order, and reads what happened.

The runner is injectable: :class:`PytestRunner` runs pytest in subprocesses through this
package's pytest plugin; unit tests pass a fake with the same ``run`` method.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from readiness.errors import GateError, InputError
from readiness.testhealth.model import Outcome

Order = Literal["given", "random"]
NO_TESTS_COLLECTED = 5  # pytest.ExitCode.NO_TESTS_COLLECTED


class Runner(Protocol):
    """Runs tests in one fresh process and returns ``(test_id, outcome)`` in execution order.

    With ``order="given"`` an id may repeat (it runs again, in the same process); ``repeat``
    runs each test that many times back to back.
    """

    def run(
        self,
        test_ids: Sequence[str],
        *,
        order: Order = "given",
        seed: int | None = None,
        repeat: int = 1,
    ) -> list[tuple[str, Outcome]]: ...


@dataclass(frozen=True, slots=True)
class FailureSeen:
    """One failed attempt seen by a runner, for the failure kind of a classification."""

    test_id: str
    failure_type: str | None
    message: str | None


class PytestRunner:
    """Runs pytest on the project at ``root`` with ``python``; records failures it sees.

    ``extra_args`` go to every pytest call (``-p no:hypothesispytest`` saves ~0.5 s a process
    in projects that do not need Hypothesis' pytest plugin).
    """

    def __init__(
        self,
        root: Path,
        python: str = sys.executable,
        *,
        timeout_s: float = 900,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.python = python
        self.timeout_s = timeout_s
        self.extra_args = tuple(extra_args)
        self.failures: list[FailureSeen] = []
        self.runs = 0  # pytest processes that ran tests

    def run(
        self,
        test_ids: Sequence[str],
        *,
        order: Order = "given",
        seed: int | None = None,
        repeat: int = 1,
    ) -> list[tuple[str, Outcome]]:
        """Run ``test_ids`` in one pytest process (random order shuffles with ``seed``)."""
        ids = list(test_ids)
        if order == "random":
            random.Random(seed).shuffle(ids)  # noqa: S311 - a test order, not a secret
        if not ids:
            return []
        self.runs += 1
        with tempfile.TemporaryDirectory(prefix="readiness-run-") as tmp:
            order_file = Path(tmp) / "order.txt"
            order_file.write_text("\n".join(ids) + "\n", encoding="utf-8")
            # Thousands of node ids go through an argument file (pytest >= 8.2), not argv.
            args_file = Path(tmp) / "args.txt"
            args_file.write_text("\n".join(dict.fromkeys(ids)) + "\n", encoding="utf-8")
            junit = Path(tmp) / "junit.xml"
            command = [
                *self._pytest(),
                f"--readiness-order-file={order_file}",
                f"--readiness-junit={junit}",
                f"--readiness-repeat={repeat}",
                f"@{args_file}",
            ]
            done = self._call(command)
            if done.returncode not in (0, 1) or not junit.is_file():
                tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
                raise InputError(
                    f"pytest in {self.root} exited {done.returncode} for {ids[0]!r}...: "
                    f"{' | '.join(tail)}; check the test ids with `pytest --collect-only -q`"
                )
            per_test = self._read_junit(junit)
        return _in_execution_order(ids, per_test, repeat)

    def run_suite(
        self, junit: Path, *, args: Sequence[str] = (), randomly_seed: int | None = None
    ) -> None:
        """Run the whole suite once, as a plain ``pytest`` in the project root would (collected
        order; pytest-randomly's order for ``randomly_seed``), writing our plugin's report with
        every attempt to ``junit``. InputError when pytest is missing, collects no test or
        stops on an error of its own (exit status above 1)."""
        command = [*self._pytest(randomly=randomly_seed is None)]
        if randomly_seed is not None:
            command += ["-p", "randomly", f"--randomly-seed={randomly_seed}"]
        command += [f"--readiness-junit={junit}", *args]
        self.runs += 1
        done = self._call(command)
        output = (done.stdout + done.stderr).strip()
        if "No module named pytest" in output:
            raise InputError(
                f"pytest is not installed for {self.python}; install it in the project's "
                "environment (e.g. `uv add --dev pytest`)"
            )
        if done.returncode == NO_TESTS_COLLECTED:
            raise InputError(
                f"pytest collected no tests in {self.root}; run `pytest --collect-only -q` "
                "there and check testpaths and the arguments after --"
            )
        if done.returncode not in (0, 1) or not junit.is_file():
            tail = output.splitlines()[-2:]
            raise InputError(
                f"pytest in {self.root} exited {done.returncode}: {' | '.join(tail)}; "
                "run `pytest` there and fix what it reports"
            )

    def collect(self, paths: Sequence[str] = ()) -> list[str]:
        """Test ids pytest collects from ``paths`` (files or node ids; none: the whole suite
        from the project root, as a plain ``pytest`` there would run it), in collected order."""
        done = self._call([*self._pytest(), "--collect-only", *paths])
        ids = _collected_ids(done.stdout)
        if done.returncode != 0 or not ids:
            what = ", ".join(paths) if paths else "the suite"
            tail = (done.stdout + done.stderr).strip().splitlines()[-2:]
            raise InputError(
                f"pytest could not collect {what} in {self.root} (exit {done.returncode}): "
                f"{' | '.join(tail)}; run `pytest --collect-only -q` there and fix what it reports"
            )
        return ids

    def seeded_order(self, seed: str) -> list[str] | None:
        """The whole suite in the order pytest-randomly gives ``seed``; None when it cannot
        (pytest-randomly missing, or a seed that is not an integer)."""
        if not seed.strip().isdigit():
            return None
        command = [
            *self._pytest(randomly=False),
            "-p",
            "randomly",
            f"--randomly-seed={int(seed)}",
            "--collect-only",
        ]
        done = self._call(command)
        ids = _collected_ids(done.stdout)
        return ids if done.returncode == 0 and ids else None

    def _pytest(self, *, randomly: bool = True) -> list[str]:
        """The start of every command: quiet, no cache, no random order unless asked."""
        return [
            self.python,
            "-m",
            "pytest",
            "-q",
            *(("-p", "no:randomly") if randomly else ()),
            "-p",
            "no:cacheprovider",
            f"--rootdir={self.root}",
            *self.extra_args,
        ]

    def _call(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GateError(
                f"pytest in {self.root} ran longer than {self.timeout_s:.0f}s; "
                "raise the timeout or pick fewer runs"
            ) from exc

    def _read_junit(self, path: Path) -> dict[str, list[Outcome]]:
        """Outcomes of every attempt of every test in our plugin's report, via our own reader."""
        from readiness.testhealth.junit.reader import iter_cases

        per_test: dict[str, list[Outcome]] = {}
        with path.open("rb") as handle:
            for case in iter_cases(handle, str(path)):
                per_test.setdefault(case.test_id, []).append(case.outcome)
                if case.outcome.is_failure:
                    self.failures.append(FailureSeen(case.test_id, case.failure_type, case.message))
        return per_test


def _collected_ids(stdout: str) -> list[str]:
    """The node ids ``pytest --collect-only -q`` prints: its lines up to the first blank one
    (warnings and errors follow it, and may quote node ids too)."""
    ids: list[str] = []
    for line in stdout.splitlines():
        if not line.strip():
            break
        if "::" in line:
            ids.append(line.strip())
    return ids


def _in_execution_order(
    ids: list[str], per_test: dict[str, list[Outcome]], repeat: int
) -> list[tuple[str, Outcome]]:
    remaining = {k: list(v) for k, v in per_test.items()}
    out: list[tuple[str, Outcome]] = []
    for test_id in ids:
        queue = remaining.get(test_id, [])
        out += [(test_id, queue.pop(0)) for _ in range(min(repeat, len(queue)))]
    for test_id, queue in remaining.items():  # parametrised ids expand to several testcases
        out += [(test_id, outcome) for outcome in queue]
    return out


def _outcome_of(results: list[tuple[str, Outcome]], test_id: str) -> Outcome | None:
    return next((o for t, o in results if t == test_id), None)
