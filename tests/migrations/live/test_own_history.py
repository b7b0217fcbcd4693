"""verify on Readiness's own state history: the newest revision keeps our queries working.

Our ``env.py`` files support Alembic's offline mode (``alembic upgrade --sql``), so the live
check renders the pending revision the way it does any project's and replays real queries of
ours (the gate history, projects and the audit outbox) on the real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from readiness.migrations.live import alembic_source
from readiness.migrations.live.verify import VerifyRequest, verify
from readiness.storage.schema import HISTORIES

QUERIES = """\
SELECT id, project, gate, commit_sha, verdict, checks, duration_s, at, by
  FROM gate_runs WHERE project = 'shop' ORDER BY at DESC, id DESC LIMIT 50;
SELECT count(*) FROM gate_runs WHERE project = 'shop' AND gate = 'merge';
SELECT name, created_at FROM rd_projects ORDER BY name;
SELECT id, marker, action, entry FROM audit_outbox
  WHERE leaf_index IS NULL ORDER BY id LIMIT 100;
INSERT INTO audit_outbox (marker, action, entry, created_at)
  VALUES ('m-1', 'project.created', '\\x00', now());
"""


def test_the_newest_state_revision_breaks_none_of_our_queries(pg_url: str, tmp_path: Path) -> None:
    history = HISTORIES["state"]
    revisions = alembic_source.heads(history)
    queries = tmp_path / "queries.sql"
    queries.write_text(QUERIES, encoding="utf-8")

    report = verify(VerifyRequest(pg_url, history, revisions[-2], str(queries), rows=5)).as_dict()

    assert (report["previous"], report["head"]) == (revisions[-2], revisions[-1])
    assert report["queries"] == 5
    assert report["broken_queries"] == []
    assert report["already_failing"] == []
    assert report["roundtrip"]["identical"] is True
    assert report["history"] == {"ok": True, "migrations": len(revisions), "error": None}
