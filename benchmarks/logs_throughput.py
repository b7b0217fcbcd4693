"""What a log line costs through ``readiness.logs``, next to plain structlog in the same run.

Three loggers write ``--lines`` lines (default 50,000) of the same call — a message, four fields,
a bound ``trace_id`` — to a sink that discards the text (what is measured is the pipeline, not
the disk):

- ``structlog_plain``: structlog as its performance docs advise (filtering bound logger, cached,
  contextvars, ``TimeStamper(fmt="iso")``, ``JSONRenderer(orjson.dumps)``, ``BytesLoggerFactory``);
- ``ours_no_redaction``: ``logs.configure(..., redact=False)``;
- ``ours_redaction``: ``logs.configure(...)`` (redaction on, the default).

Also the cost of a filtered-out ``debug`` call (ns). Best of ``--repeat`` rounds; one core.
Times are this process's CPU time (``time.process_time``): on a shared machine, wall time would
also count the turns other processes take on the core, which is not what a line costs.
Prints one JSON line.

    .venv/bin/python benchmarks/logs_throughput.py [--lines 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

import orjson
import structlog

from readiness import logs


class _Sink:
    def write(self, _text: Any) -> int:
        return 0

    def flush(self) -> None:
        return None


def _call(log: Any, n: int) -> float:
    started = time.process_time()
    for i in range(n):
        log.info("order placed", action="order.placed", order_id=f"ord-{i}", amount=120.5, n=i)
    return time.process_time() - started


def _plain_structlog() -> Any:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.BytesLoggerFactory(file=_Sink()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    return structlog.get_logger()


def _ours(*, redact: bool) -> Any:
    logs.configure("bench", "benchmark", "v0", stream=_Sink(), redact=redact)  # type: ignore[arg-type]
    return logs.get_logger()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    structlog.contextvars.bind_contextvars(trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    rates: dict[str, float] = {}
    for name, make in (
        ("structlog_plain", _plain_structlog),
        ("ours_no_redaction", lambda: _ours(redact=False)),
        ("ours_redaction", lambda: _ours(redact=True)),
    ):
        best = min(_call(make(), args.lines) for _ in range(args.repeat))
        rates[name] = round(args.lines / best)
        structlog.contextvars.bind_contextvars(trace_id="4bf92f3577b34da6a3ce929d0e0e4736")
    log = _ours(redact=True)
    debug_s = []
    for _ in range(args.repeat):
        started = time.process_time()
        for _ in range(args.lines):
            log.debug("filtered", x=1)
        debug_s.append(time.process_time() - started)
    debug_ns = round(min(debug_s) / args.lines * 1e9)
    logs.reset()
    print(
        json.dumps(
            {
                "benchmark": "logs_throughput",
                "lines": args.lines,
                "clock": "process_time",
                "lines_per_s": rates,
                "filtered_debug_ns": debug_ns,
                "ratio_redaction_vs_plain": round(
                    rates["ours_redaction"] / rates["structlog_plain"], 3
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
