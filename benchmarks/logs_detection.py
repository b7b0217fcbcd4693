"""PII detection quality and speed: our detectors next to Presidio's AnalyzerEngine, same texts.

The corpus is ``benchmarks/_pii_corpus.py`` (seeded, labelled, synthetic log lines). A finding
is a true positive when it overlaps a labelled value of the same type (each value counted once);
precision and recall per type. False positives on hard negatives (trace and span ids, UUIDs,
hashes, timestamps, order numbers, versions) are reported separately, by negative type.

Presidio runs its pattern recognizers only: its spaCy engine is a blank English pipeline (no
model download, no NER), so what is compared is pattern detection, which is what a log scanner
needs. Presidio has no secret recognizers: its SECRET row is absent. Times are CPU time of this
process (one core, whatever else runs on the machine); ``ours.gates`` says whether the detectors
ran behind their Hyperscan gates. ``ours.lines_per_s`` is the batch path (``"api": "batch"``:
``Redactor.texts`` 256 lines at a time, as ``readiness logs scan`` reads text lines),
``ours.lines_per_s_per_line`` one ``Redactor.text`` call per line (the structlog processor's
path); ``throughput_ratio`` and ``throughput_ratio_per_line`` divide them by Presidio's, same
run. ``uv sync --group bench`` installs Presidio; without it the line says so.

    .venv/bin/python benchmarks/logs_detection.py [--lines 3000] [--seed 11]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pii_corpus import NEGATIVE_TYPES, POSITIVE_TYPES, Sample, generate

from readiness.logs.redaction import Redactor, gates
from readiness.logs.scan import BATCH_LINES

#: Our detector kinds -> corpus types.
OURS = {
    "email": "EMAIL", "card": "CREDIT_CARD", "phone": "PHONE", "ssn": "SSN", "ip": "IP",
    "iban": "IBAN", "jwt": "SECRET", "bearer": "SECRET", "secret": "SECRET",
}  # fmt: skip
#: Presidio entity names -> corpus types.
PRESIDIO = {
    "EMAIL_ADDRESS": "EMAIL", "CREDIT_CARD": "CREDIT_CARD", "PHONE_NUMBER": "PHONE",
    "US_SSN": "SSN", "IP_ADDRESS": "IP", "IBAN_CODE": "IBAN",
}  # fmt: skip

Found = list[tuple[str, int, int]]


def ours_detect(redactor: Redactor, text: str) -> Found:
    """Our findings on ``text`` as (type, start, end), located by their original value."""
    hits: list[tuple[str, str]] = []
    redactor.on_finding = lambda kind, original: hits.append((kind, original))
    redactor.text(text)
    found: Found = []
    for kind, original in hits:
        start = text.find(original)
        kind_type = OURS.get(kind, "SECRET" if kind.startswith("api_key") else kind)
        if start >= 0:
            found.append((kind_type, start, start + len(original)))
    return found


def presidio_detector() -> Callable[[str], Found] | str:
    """A function running Presidio's pattern recognizers, or why it cannot run."""
    # Imported by name: the bench group is optional, and mypy checks this file without it.
    try:
        spacy = importlib.import_module("spacy")
        analyzer = importlib.import_module("presidio_analyzer")
        nlp_engine = importlib.import_module("presidio_analyzer.nlp_engine")
    except ImportError:
        return "not installed (uv sync --group bench)"
    AnalyzerEngine, NlpEngineProvider = analyzer.AnalyzerEngine, nlp_engine.NlpEngineProvider
    model_dir = Path(tempfile.mkdtemp(prefix="blank-en-"))
    spacy.blank("en").to_disk(model_dir)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": str(model_dir)}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    entities = list(PRESIDIO)

    def detect(text: str) -> Found:
        results = engine.analyze(text=text, language="en", entities=entities)
        return [(PRESIDIO[r.entity_type], r.start, r.end) for r in results]

    return detect


def score(
    samples: list[Sample], found: list[Found], types: tuple[str, ...] = POSITIVE_TYPES
) -> dict[str, Any]:
    """Per-type precision and recall, and false positives by hard-negative type."""
    tp = dict.fromkeys(POSITIVE_TYPES, 0)
    fp = dict.fromkeys(POSITIVE_TYPES, 0)
    gold = dict.fromkeys(POSITIVE_TYPES, 0)
    on_negatives = dict.fromkeys(NEGATIVE_TYPES, 0)
    for sample, hits in zip(samples, found, strict=True):
        matched: set[int] = set()
        for span in sample.spans:
            if span.type in gold:
                gold[span.type] += 1
        for kind, start, end in hits:
            overlapping = [i for i, s in enumerate(sample.spans) if s.start < end and start < s.end]
            same = [i for i in overlapping if sample.spans[i].type == kind]
            if same:
                if same[0] not in matched:
                    matched.add(same[0])
                    tp[kind] = tp.get(kind, 0) + 1
                continue
            fp[kind] = fp.get(kind, 0) + 1
            for i in overlapping:
                if sample.spans[i].type in on_negatives:
                    on_negatives[sample.spans[i].type] += 1
    rows = {}
    for t in types:
        predicted = tp[t] + fp[t]
        rows[t] = {
            "precision": round(tp[t] / predicted, 3) if predicted else None,
            "recall": round(tp[t] / gold[t], 3) if gold[t] else None,
            "tp": tp[t],
            "fp": fp[t],
            "fn": gold[t] - tp[t],
        }
    return {"types": rows, "fp_on_hard_negatives": on_negatives}


def _timed(run: Callable[[str], Found], texts: list[str]) -> tuple[list[Found], float]:
    started = time.process_time()
    found = [run(t) for t in texts]
    return found, time.process_time() - started


def _redact_seconds(redactor: Redactor, texts: list[str]) -> float:
    started = time.process_time()
    for text in texts:
        redactor.text(text)
    return time.process_time() - started


def _batch_seconds(redactor: Redactor, texts: list[str]) -> float:
    # ``logs scan`` reads 256 lines at a time (``logs.scan.BATCH_LINES``).
    started = time.process_time()
    for at in range(0, len(texts), BATCH_LINES):
        redactor.texts(texts[at : at + BATCH_LINES])
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    samples = generate(args.lines, args.seed)
    texts = [s.text for s in samples]
    redactor = Redactor()
    ours_found, _ = _timed(lambda t: ours_detect(redactor, t), texts)
    redactor.on_finding = None
    # Throughput: the redactor alone, best of 3: one line at a time (``Redactor.text``, what the
    # processor runs per string) and in batches (``Redactor.texts``: ``logs scan`` on text
    # lines, 256 at a time, their gates found in one Hyperscan scan).
    per_line_seconds = min(_redact_seconds(redactor, texts) for _ in range(3))
    ours_seconds = min(_batch_seconds(redactor, texts) for _ in range(3))
    result: dict[str, Any] = {
        "benchmark": "logs_detection",
        "lines": len(texts),
        "seed": args.seed,
        "ours": {
            **score(samples, ours_found),
            "lines_per_s": round(len(texts) / ours_seconds),
            "api": "batch",
            "lines_per_s_per_line": round(len(texts) / per_line_seconds),
            # Which path ran: Hyperscan's gates, or each detector's Python checks without it.
            "gates": "hyperscan" if gates.available() else "python",
        },
    }
    presidio = presidio_detector()
    if isinstance(presidio, str):
        result["presidio"] = presidio
    else:
        presidio("warm up 203.0.113.7")
        presidio_found, presidio_seconds = _timed(presidio, texts)
        result["presidio"] = {
            **score(samples, presidio_found, tuple(t for t in POSITIVE_TYPES if t != "SECRET")),
            "lines_per_s": round(len(texts) / presidio_seconds),
        }
        result["throughput_ratio"] = round(presidio_seconds / ours_seconds, 1)
        result["throughput_ratio_per_line"] = round(presidio_seconds / per_line_seconds, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
