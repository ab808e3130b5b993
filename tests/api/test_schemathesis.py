"""The OpenAPI schema as a reference client reads it: schemathesis generates requests from
`/openapi.json`, valid and not, against a real `awareness serve` holding real warnings and
campaigns. No request is answered with a server error, every answer documented with a model
matches it, and in every role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.servers import ServerProcess, create_key, run_cli

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
ROLES = ("operator", "supervisor", "responder", "admin")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A served SQLite database with three operators' reports: a campaign, raised sectors and
    an exposure warning, and a key per role."""
    folder = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite+aiosqlite:///{folder / 'awareness.db'}"
    run_cli(url, "migrate")
    for org, sector in (("grid-a", "energy"), ("grid-b", "energy"), ("aqua", "water")):
        run_cli(url, "orgs", "create", org, "--name", org, "--sector", sector)
    operators = {org: create_key(url, "--role", "operator", "--org", org) for org in
                 ("grid-a", "grid-b", "aqua")}  # fmt: skip
    keys = {role: create_key(url, "--role", role) for role in ROLES[1:]}
    keys["operator"] = operators["grid-a"]
    with ServerProcess(url, log_path=folder / "server.log") as server:
        plc = {"asset_id": "plc-1", "vendor": "Siemens", "product": "SIMATIC S7-1500"}
        for org, key in operators.items():
            auth = {"Authorization": f"Bearer {key}"}
            assert httpx.post(f"{server.url}/v1/assets", json=plc, headers=auth).status_code == 201
            report = {
                "detected_at": datetime.now(UTC).isoformat(),
                "category": "ransomware",
                "functional_impact": "denial_critical",
                "location": "safety_systems",
                "affected_assets": ["plc-1"] if org == "grid-a" else [],
                "indicators": [{"type": "ipv4", "value": "185.220.101.47"}],
            }
            response = httpx.post(f"{server.url}/v1/incidents", json=report, headers=auth)
            assert response.status_code == 201
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        for _ in range(100):
            kinds = {w["kind"] for w in httpx.get(
                f"{server.url}/v1/warnings", headers=admin).json()["items"]}  # fmt: skip
            if {"campaign", "exposure", "sector_level"} <= kinds:
                break
            httpx.get(f"{server.url}/healthz")
        assert {"campaign", "exposure", "sector_level"} <= kinds
        yield server.url, keys


def test_every_answer_matches_its_model_and_none_is_a_server_error(
    service: tuple[str, dict[str, str]],
) -> None:
    base, keys = service
    # Revoking keys would cut the test's own: the other writes are fair game.
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json").exclude(method="DELETE")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        # A fixed derandomized search: CI runs the same requests every time.
        @settings(
            max_examples=60, deadline=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def check(case: schemathesis.Case) -> None:
            for role in ROLES:
                auth = {"Authorization": f"Bearer {keys[role]}"}
                case.call_and_validate(base_url=base, headers=auth, checks=CHECKS)

        check()


def test_the_fixture_is_not_empty(service: tuple[str, dict[str, str]]) -> None:
    """The generated requests meet real data: every list the board reads has items."""
    base, keys = service
    auth = {"Authorization": f"Bearer {keys['admin']}"}
    for path in ("/v1/warnings", "/v1/campaigns", "/v1/incidents", "/v1/assets"):
        assert httpx.get(f"{base}{path}", headers=auth).json()["items"], path
