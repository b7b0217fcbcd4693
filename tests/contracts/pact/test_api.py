"""The HAL API over TestClient: links, roles, the 409 diff, selectors, deployments, matrix."""

from __future__ import annotations

from typing import Any

from tests.contracts.pact.conftest import Broker, TestClient

BASE = "/api/v1/pact"
PACT = {"consumer": {"name": "web"}, "provider": {"name": "users"}, "interactions": [{"n": 1}]}


def _put(http: TestClient, broker: Broker, version: str, body: dict[str, Any]) -> Any:
    return http.put(
        f"{BASE}/pacts/provider/users/consumer/web/version/{version}",
        json=body,
        headers=broker.auth(broker.writer),
    )


def test_index_links_are_absolute_and_hal(http: TestClient, broker: Broker) -> None:
    response = http.get(BASE, headers=broker.auth(broker.reader))

    assert response.headers["content-type"] == "application/hal+json"
    links = response.json()["_links"]
    assert links["pb:publish-contracts"] == {
        "href": "http://testserver/api/v1/pact/contracts/publish"
    }
    assert links["pb:provider-pacts-for-verification"] == {
        "href": "http://testserver/api/v1/pact/pacts/provider/{provider}/for-verification",
        "templated": True,
    }


def test_reading_needs_a_token_and_publishing_a_writer(http: TestClient, broker: Broker) -> None:
    assert http.get(BASE).status_code == 401
    refused = http.put(
        f"{BASE}/pacts/provider/users/consumer/web/version/1",
        json=PACT,
        headers=broker.auth(broker.reader),
    )
    assert refused.status_code == 403
    basic = http.get(BASE, auth=("any-user", broker.reader))
    assert basic.status_code == 200


def test_a_changed_pact_for_a_published_version_is_a_409_with_the_diff(
    http: TestClient, broker: Broker
) -> None:
    assert _put(http, broker, "1", PACT).status_code == 200
    assert _put(http, broker, "1", PACT).status_code == 200  # the same content: fine

    changed = _put(http, broker, "1", {**PACT, "interactions": [{"n": 2}]})

    assert changed.status_code == 409
    error = changed.json()["error"]
    assert error["code"] == "conflict"
    assert error["details"]["diff"] == ["$.interactions[0].n: 1 -> 2"]


def test_for_verification_with_pending_and_the_result_clears_it(
    http: TestClient, broker: Broker
) -> None:
    writer = broker.auth(broker.writer)
    _put(http, broker, "1", PACT)
    http.put(f"{BASE}/pacticipants/web/branches/main/versions/1", headers=writer)
    http.put(f"{BASE}/pacticipants/users/branches/main/versions/p1", headers=writer)
    body = {
        "consumerVersionSelectors": [{"mainBranch": True}],
        "includePendingStatus": True,
        "providerVersionBranch": "main",
    }

    first = http.post(f"{BASE}/pacts/provider/users/for-verification", json=body, headers=writer)
    pact = first.json()["_embedded"]["pacts"][0]
    assert pact["verificationProperties"]["pending"] is True
    fetched = http.get(pact["_links"]["self"]["href"], headers=writer).json()
    publish = fetched["_links"]["pb:publish-verification-results"]["href"]
    result = {"success": True, "providerApplicationVersion": "p1"}
    assert http.post(publish, json=result, headers=writer).status_code == 200
    again = http.post(f"{BASE}/pacts/provider/users/for-verification", json=body, headers=writer)

    assert again.json()["_embedded"]["pacts"][0]["verificationProperties"]["pending"] is False


def test_a_required_selector_matching_nothing_is_a_400(http: TestClient, broker: Broker) -> None:
    body = {"consumerVersionSelectors": [{"branch": "nope", "required": True}]}
    response = http.post(
        f"{BASE}/pacts/provider/users/for-verification",
        json=body,
        headers=broker.auth(broker.reader),
    )
    assert response.status_code == 400


def test_deploy_release_undo_and_can_i_deploy_by_branch(http: TestClient, broker: Broker) -> None:
    writer = broker.auth(broker.writer)
    _put(http, broker, "1", PACT)
    http.put(f"{BASE}/pacticipants/web/branches/main/versions/1", headers=writer)
    env = http.post(f"{BASE}/environments", json={"name": "prod"}, headers=writer).json()
    versions = f"{BASE}/pacticipants/users/versions/p1"
    http.put(f"{versions}/tags/prod", headers=writer)  # creates the version
    deployed = f"{versions}/deployed-versions/environment/{env['uuid']}"
    assert http.post(deployed, json={}, headers=writer).json()["currentlyDeployed"] is True
    query = {"pacticipant": "web", "branch": "main", "environment": "prod"}

    no = http.get(f"{BASE}/can-i-deploy", params=query, headers=writer).json()
    assert no["summary"] == {
        "deployable": False,
        "success": 0,
        "failed": 0,
        "unknown": 1,
        "reason": "There is no verified pact between web (1) and users (p1)",
    }
    assert http.delete(deployed, headers=writer).json()["ended"] == 1
    gone = http.get(f"{BASE}/can-i-deploy", params=query, headers=writer).json()
    assert "no version is currently recorded" in gone["summary"]["reason"]
    released = f"{versions}/released-versions/environment/{env['uuid']}"
    assert http.post(released, json={}, headers=writer).json()["currentlySupported"] is True
    matrix = http.get(
        f"{BASE}/matrix",
        headers=writer,
        params={"q[][pacticipant]": "web", "q[][version]": "1", "environment": "prod"},
    ).json()
    assert matrix["matrix"][0]["provider"]["version"] == {"number": "p1"}


def test_can_i_deploy_several_versions_at_once(http: TestClient, broker: Broker) -> None:
    writer = broker.auth(broker.writer)
    _put(http, broker, "1", PACT)
    http.post(f"{BASE}/environments", json={"name": "prod"}, headers=writer)
    body = {"environment": "prod", "versions": [{"pacticipant": "web", "version": "1"}]}

    answer = http.post(f"{BASE}/can-i-deploy/environment", json=body, headers=writer).json()

    assert answer["summary"]["deployable"] is False
    assert answer["summary"]["reason"] == "web (1) needs users, which is not in prod"


def test_latest_pacts_and_a_version_with_its_branches(http: TestClient, broker: Broker) -> None:
    writer = broker.auth(broker.writer)
    _put(http, broker, "1", PACT)
    http.put(f"{BASE}/pacticipants/web/branches/main/versions/1", headers=writer)

    latest = http.get(f"{BASE}/pacts/provider/users/latest", headers=writer).json()
    version = http.get(f"{BASE}/pacticipants/web/versions/1", headers=writer).json()

    assert [p["name"] for p in latest["_links"]["pb:pacts"]] == ["web"]
    assert (version["number"], version["branches"]) == ("1", ["main"])
    assert http.get(f"{BASE}/pacticipants/web/versions/9", headers=writer).status_code == 404
