"""pact-python 4.x (its Rust core) against the broker served by a real uvicorn: a consumer test
writes a pact, it is published, the real Verifier fetches it for verification from the broker,
verifies a tiny provider and publishes its result back; then can-i-deploy answers."""

from __future__ import annotations

import base64
import gc
import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from pact import Pact
from pact.types import Message
from pact.verifier import Verifier

from readiness._common.clock import FrozenClock
from readiness.config import Settings
from readiness.contracts.pact.service import PactService
from tests._live import live_server
from tests.contracts.pact.conftest import Broker

USER = {"id": 1, "name": "Ada"}


class _Provider(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(USER if self.path == "/users/1" else {}).encode()
        self.send_response(200 if self.path == "/users/1" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def provider_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _consumer_pact(out: Path) -> Path:
    pact = Pact("web", "users").with_specification("V4")
    (
        pact.upon_receiving("a request for user 1")
        .with_request("GET", "/users/1")
        .will_respond_with(200)
        .with_body(USER, content_type="application/json")
    )
    with pact.serve() as mock:
        assert httpx.get(f"{mock.url}/users/1").json() == USER
    pact.write_file(out)
    return out / "web-users.json"


def test_pact_python_publishes_verifies_and_can_i_deploy_answers(
    broker: Broker, provider_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")  # the Rust core's usage metrics: no network
    pact_file = _consumer_pact(tmp_path)
    with live_server(broker.app) as url:
        base = f"{url}/api/v1/pact"
        writer = {"Authorization": f"Bearer {broker.writer}"}
        published = httpx.post(
            f"{base}/contracts/publish",
            headers=writer,
            json={
                "pacticipantName": "web",
                "pacticipantVersionNumber": "c1",
                "branch": "main",
                "contracts": [
                    {
                        "consumerName": "web",
                        "providerName": "users",
                        "specification": "pact",
                        "contentType": "application/json",
                        "content": base64.b64encode(pact_file.read_bytes()).decode(),
                    }
                ],
            },
        )
        assert published.status_code == 200, published.text
        httpx.patch(f"{base}/pacticipants/users", headers=writer, json={"mainBranch": "main"})

        verifier = (
            Verifier("users", host="127.0.0.1")
            .add_transport(url=provider_url)
            .broker_source(base, token=broker.writer, selector=True)
            .consumer_version(main_branch=True)
            .include_pending()
            .provider_branch("main")
            .build()
            .set_publish_options(version="p1", branch="main")
        )
        verifier.verify()

        env = httpx.post(f"{base}/environments", headers=writer, json={"name": "prod"}).json()
        deploy = (
            f"{base}/pacticipants/users/versions/p1/deployed-versions/environment/{env['uuid']}"
        )
        assert httpx.post(deploy, headers=writer, json={}).status_code == 200
        answer = httpx.get(
            f"{base}/can-i-deploy",
            params={"pacticipant": "web", "version": "c1", "environment": "prod"},
            auth=("anyone", broker.reader),
        ).json()

    assert answer["summary"]["deployable"] is True
    assert answer["summary"]["success"] == 1
    assert answer["matrix"][0]["provider"]["version"] == {"number": "p1"}


def test_a_failing_verification_over_basic_auth_makes_can_i_deploy_say_no(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    pact_file = _consumer_pact(tmp_path)
    content = json.loads(pact_file.read_text())
    wrong = ThreadingHTTPServer(("127.0.0.1", 0), _Wrong)
    thread = threading.Thread(target=wrong.serve_forever, daemon=True)
    thread.start()
    try:
        with live_server(broker.app) as url:
            base = f"{url}/api/v1/pact"
            basic = ("ci", broker.writer)
            put = f"{base}/pacts/provider/users/consumer/web/version/c1"
            assert httpx.put(put, json=content, auth=basic).status_code == 200
            verifier = (
                Verifier("users", host="127.0.0.1")
                .add_transport(url=f"http://127.0.0.1:{wrong.server_address[1]}")
                .broker_source(base, username="ci", password=broker.writer, selector=True)
                .consumer_version(consumer="web")
                .build()
                .set_publish_options(version="p9", branch="main")
            )
            with pytest.raises(RuntimeError):
                verifier.verify()
            httpx.post(f"{base}/environments", json={"name": "prod"}, auth=basic)
            env = httpx.get(f"{base}/environments", auth=basic).json()
            uuid = env["_embedded"]["environments"][0]["uuid"]
            deploy = f"{base}/pacticipants/users/versions/p9/deployed-versions/environment/{uuid}"
            httpx.post(deploy, json={}, auth=basic)
            answer = httpx.get(
                f"{base}/can-i-deploy",
                params={"pacticipant": "web", "version": "c1", "environment": "prod"},
                auth=basic,
            ).json()
    finally:
        wrong.shutdown()
        wrong.server_close()
        thread.join(timeout=10)

    assert answer["summary"]["deployable"] is False
    assert answer["summary"]["reason"] == (
        "The verification for the pact between web (c1) and users (p9) failed"
    )


class _Wrong(_Provider):
    def do_GET(self) -> None:
        body = json.dumps({"id": 1}).encode()  # "name" is missing: the pact fails
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


EVENT = {"type": "user-created", "id": 1}
EVENT_MESSAGE: Message = {
    "contents": json.dumps(EVENT).encode(),
    "metadata": None,
    "content_type": "application/json",
}


def test_a_message_pact_is_fetched_and_verified_through_the_broker(
    broker: Broker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    monkeypatch.setenv("PACT_DO_NOT_TRACK", "true")
    pact = Pact("audit-consumer", "events").with_specification("V4")
    pact.upon_receiving("a user-created event", "Async").with_body(
        EVENT, content_type="application/json"
    )
    received: list[object] = []
    pact.verify(lambda body, _meta: received.append(json.loads(body or "{}")), "Async")
    pact.write_file(tmp_path)
    content = json.loads((tmp_path / "audit-consumer-events.json").read_text())
    with live_server(broker.app) as url:
        base = f"{url}/api/v1/pact"
        put = f"{base}/pacts/provider/events/consumer/audit-consumer/version/a1"
        auth = {"Authorization": f"Bearer {broker.writer}"}
        assert httpx.put(put, json=content, headers=auth).status_code == 200
        verifier = (
            Verifier("events", host="127.0.0.1")
            .message_handler({"a user-created event": EVENT_MESSAGE})
            .broker_source(base, token=broker.writer, selector=True)
            .consumer_version(latest=True)
            .build()
            .set_publish_options(version="e1")
        )
        verifier.verify()
        del verifier
        with warnings.catch_warnings():
            # pact-python's message server shuts down without closing its socket (its
            # _server.py calls shutdown() only): collect it here, quietly, not in a later test.
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        matrix = httpx.get(
            f"{base}/matrix",
            params={"q[][pacticipant]": "events", "q[][version]": "e1", "environment": "x"},
            headers=auth,
        )

    assert received == [EVENT]
    assert matrix.json()["summary"]["reason"] == "no environment 'x' is known to the broker"
    snap = PactService(broker.stores, clock, settings.project).snapshot()
    assert [(v.provider_version, v.success) for v in snap.verifications] == [("e1", True)]
