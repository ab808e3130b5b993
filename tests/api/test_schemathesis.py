"""The OpenAPI schema as a reference client reads it: schemathesis generates requests from
`/openapi.json`, valid and not, and sends them in-process to the ASGI app holding real warnings
and campaigns, with every check it has (server errors, status codes, content types, headers and
bodies conforming to the schema, invalid data refused, valid data accepted, missing keys
refused, unsupported methods). Every request goes out with the key of each role in turn, so the
authorized paths are exercised as well as the refusals. The search is fixed (seed, derandomized,
bounded examples): CI sends the same requests every time."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from awareness.api.app import create_app
from awareness.auth import keys
from awareness.auth.principal import Role
from awareness.db.engine import Database
from tests.conftest import TEST_SECRETS_KEY, make_settings, run_sync

ROLES = ("operator", "supervisor", "responder", "admin")
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260302,
        "suppress-health-check": ["all"],
        "generation": {"mode": "all", "max-examples": 25, "deterministic": True},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
        },
        "checks": {
            "enabled": True,
            # A schema-valid request may still break a rule no schema states: an opaque cursor
            # the list never returned, a key's role against its organization and sectors, an
            # unknown sector, a report detected in the future. The service refuses those with
            # 422, which the other checks hold to its documented shape.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            },
        },
    }
)


async def _admin_key(url: str) -> tuple[int, str]:
    database = Database(url)
    try:
        async with database.write() as conn:
            created = await keys.create_key(
                conn, role=Role.admin, org_id=None, sectors=None, name="schemathesis",
                known_sectors=["energy", "water"], now=datetime.now(UTC), actor="test",
            )  # fmt: skip
    finally:
        await database.dispose()
    return created.id, created.key


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[FastAPI, dict[str, str], set[int]]]:
    """The app on a SQLite database with three operators' reports: a campaign, raised sectors
    and an exposure warning; a key per role, and the ids of those keys."""
    path = tmp_path_factory.mktemp("schemathesis") / "awareness.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    admin_id, admin_key = run_sync(lambda: _admin_key(url))
    # Subscriptions are created here, and nothing is delivered: tests/delivery does that.
    delivery = {"enabled": False, "allow_private_targets": True, "secrets_key": TEST_SECRETS_KEY}
    app = create_app(make_settings(url, delivery=delivery))
    SERVED.app = app
    # schemathesis's own client: its requests, and the app's lifespan, run on the event loop
    # that the generated requests will run on.
    with asgi.get_client(SERVED) as http:
        admin = {"Authorization": f"Bearer {admin_key}"}

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
            response = http.post(path, json=body, headers=headers)
            assert response.status_code in (200, 201), (path, response.text)
            return response.json()

        own = {admin_id}
        tokens = {"admin": admin_key}
        operators = {}
        for org, sector in (("grid-a", "energy"), ("grid-b", "energy"), ("aqua", "water")):
            post("/v1/orgs", {"id": org, "name": org, "sector": sector}, admin)
            created = post("/v1/keys", {"role": "operator", "org": org}, admin)
            own.add(created["id"])
            operators[org] = created["key"]
        tokens["operator"] = operators["grid-a"]
        for role in ("supervisor", "responder"):
            created = post("/v1/keys", {"role": role}, admin)
            own.add(created["id"])
            tokens[role] = created["key"]
        plc = {"asset_id": "plc-1", "vendor": "Siemens", "product": "SIMATIC S7-1500"}
        for org, key in operators.items():
            auth = {"Authorization": f"Bearer {key}"}
            post("/v1/assets", plc, auth)
            report = {
                "detected_at": datetime.now(UTC).isoformat(),
                "category": "ransomware",
                "functional_impact": "denial_critical",
                "location": "safety_systems",
                "affected_assets": ["plc-1"] if org == "grid-a" else [],
                "indicators": [{"type": "ipv4", "value": "185.220.101.47"}],
            }
            post("/v1/incidents", report, auth)
        kinds: set[str] = set()
        for _ in range(100):
            warnings = http.get("/v1/warnings", headers=admin).json()["items"]
            kinds = {warning["kind"] for warning in warnings}
            if {"campaign", "exposure", "sector_level"} <= kinds:
                break
            time.sleep(0.1)
        assert {"campaign", "exposure", "sector_level"} <= kinds
    try:
        yield app, tokens, own
    finally:
        asgi.shutdown_lifespans()
        SERVED.app = None


class _Served:
    """The ASGI app the generated requests go to: the `service` fixture's, once it exists.
    (`schemathesis.pytest.from_fixture` would load the schema from a fixture instead, but it
    fails under pytest 9: the schema must be known when tests are collected.)"""

    app: FastAPI | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the service fixture has not started the app"
        await self.app(scope, receive, send)


SERVED = _Served()
# The statuses each operation answered, to show the requests reached the routes' logic.
ANSWERED: dict[str, set[int]] = {}
# The schema does not depend on the database: read from an app that never connects to one.
schema = schemathesis.openapi.from_dict(
    create_app(make_settings("sqlite+aiosqlite:///unused.db")).openapi(), config=CONFIG
)
schema.app = SERVED
schema.location = "/openapi.json"


def _revokes_own_key(case: schemathesis.Case, own: set[int]) -> bool:
    """Revoking the test's own keys would cut the test off: every other write is fair game."""
    if case.method != "DELETE":
        return False
    try:
        return int(float(str(case.path_parameters.get("key_id")))) in own
    except (TypeError, ValueError, OverflowError):
        return False


@schema.parametrize()
def test_every_answer_is_documented_and_none_is_a_server_error(
    case: schemathesis.Case, service: tuple[FastAPI, dict[str, str], set[int]]
) -> None:
    _, tokens, own = service
    generated = (case.headers or {}).get("Authorization")
    if generated is None or not generated.startswith("Bearer "):
        # A public operation, or a case about the key itself (missing or malformed): sent as
        # generated.
        response = case.call_and_validate()
        ANSWERED.setdefault(case.operation.label, set()).add(response.status_code)
        return
    for role in ROLES:
        if role == "admin" and _revokes_own_key(case, own):
            continue
        # The generated key, replaced with a real one: every role's paths are exercised.
        response = case.call_and_validate(headers={"Authorization": f"Bearer {tokens[role]}"})
        ANSWERED.setdefault(case.operation.label, set()).add(response.status_code)


def test_the_fixture_is_not_empty(service: tuple[FastAPI, dict[str, str], set[int]]) -> None:
    """The generated requests meet real data: every list the board reads has items."""
    _, tokens, _ = service
    with asgi.get_client(SERVED) as http:
        auth = {"Authorization": f"Bearer {tokens['admin']}"}
        for path in ("/v1/warnings", "/v1/campaigns", "/v1/incidents", "/v1/assets"):
            assert http.get(path, headers=auth).json()["items"], path


def test_the_keys_opened_the_way_in() -> None:
    """Every operation that needs no existing id answered some generated request with success:
    the requests above reached the routes' logic, not only their refusals."""
    if not ANSWERED:
        pytest.skip("the schemathesis test did not run in this session")
    for operation in schema.get_all_operations():
        label = operation.ok().label
        if "{" not in label:
            assert any(200 <= status < 300 for status in ANSWERED.get(label, ())), label
