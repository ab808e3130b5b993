"""The API's reference: `/docs` loads with no request leaving the service (its script, style sheet
and icon come from the service itself), and `/openapi.json` says which operations need a key and
which refusals each can answer, as the service really behaves."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import World

CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".ico": "image/"}
PUBLIC = {("get", "/healthz"), ("get", "/readyz"), ("get", "/v1/vocabulary")}
REFUSALS = {"400", "401", "403", "404", "409", "413", "415", "422", "429", "503"}


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The reference does not depend on the database: SQLite only."""
    path = tmp_path / "awareness.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


async def schema_of(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, by_method in schema["paths"].items()
        for method, operation in by_method.items()
    ]


def concrete(path: str) -> str:
    """The path with every parameter filled in with a value of the right type."""
    return re.sub(r"\{[^}]+\}", lambda m: "energy" if m.group() == "{sector}" else "1", path)


async def test_docs_loads_every_asset_from_the_service_itself(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for url in re.findall(r"https?://[^\s\"'<>)]+", html):
        assert urlsplit(url).hostname == "testserver", f"/docs refers to another host: {url}"
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert len(urls) >= 3, urls  # the script, the style sheet and the icon at least
    for url in urls:
        # Relative, or absolute on this host: no scheme, no other host ("//cdn...").
        assert not urlsplit(url).scheme, url
        assert not urlsplit(url).netloc, url
        asset = await client.get(urljoin("http://testserver/docs", url))
        assert asset.status_code == 200, url
        assert asset.content, url
        suffix = Path(urlsplit(url).path).suffix
        assert CONTENT_TYPES[suffix] in asset.headers["content-type"], (url, asset.headers)
    # The schema the page reads is this service's own too.
    (schema_url,) = re.findall(r"""url:\s*'([^']+)'""", html)
    assert schema_url == "/openapi.json"
    assert (await client.get(schema_url)).json()["openapi"].startswith("3.")


async def test_the_javascript_is_swagger_ui_and_only_its_files_are_served(
    client: httpx.AsyncClient,
) -> None:
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    for name in ("redoc.standalone.js", "..%2F__init__.py", "core.py", "nothing.js"):
        refused = await client.get(f"/docs/assets/{name}")
        assert refused.status_code == 404, name
    # ReDoc would load its logo from its vendor's CDN: it is not served at all.
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404


async def test_the_docs_are_not_operations_of_the_api(client: httpx.AsyncClient) -> None:
    schema = await schema_of(client)
    assert not [path for path in schema["paths"] if path.startswith("/docs")]


async def test_every_operation_but_the_public_ones_requires_the_bearer_key(
    client: httpx.AsyncClient,
) -> None:
    schema = await schema_of(client)
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "ticket" in scheme["description"]
    assert "security" not in schema  # no global default: each operation says
    for method, path, operation in operations(schema):
        if (method, path) in PUBLIC:
            assert "security" not in operation, (method, path)
        else:
            assert operation.get("security") == [{"apiKey": []}], (method, path)


async def test_the_schema_says_which_operations_refuse_a_missing_key(
    client: httpx.AsyncClient,
) -> None:
    """What the schema says is what the service does: a request without a key is refused (401,
    with the documented header) exactly where the schema asks for one."""
    schema = await schema_of(client)
    for method, path, operation in operations(schema):
        response = await client.request(method, concrete(path))
        if "security" in operation:
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert set(response.json()) == {"detail"}
        else:
            assert response.status_code == 200, (method, path, response.text)


async def test_the_schema_says_which_operations_refuse_some_roles(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    """403 is documented where some role's key is refused, and only there."""
    schema = await schema_of(client)
    keys = [world.grid_north, world.all_supervisor, world.energy_responder, world.admin]
    for method, path, operation in operations(schema):
        if "security" not in operation:
            continue
        statuses = []
        for headers in keys:
            # No body: a refused role is refused before the body is read (422 otherwise).
            response = await client.request(method, concrete(path), headers=headers)
            statuses.append(response.status_code)
        assert ("403" in operation["responses"]) == (403 in statuses), (method, path, statuses)
        assert statuses.count(403) < len(keys), (method, path)  # some role may do it


async def test_each_operation_documents_its_refusals_in_the_error_shape(
    client: httpx.AsyncClient,
) -> None:
    schema = await schema_of(client)
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components  # FastAPI's 422, never sent
    assert set(components["FieldErrors"]["required"]) == {"detail", "errors"}
    assert components["ErrorBody"]["required"] == ["detail"]
    for method, path, operation in operations(schema):
        responses = operation["responses"]
        assert "4XX" not in responses, (method, path)
        assert "default" not in responses, (method, path)
        for code, response in responses.items():
            if code.startswith("2") or (path, code) == ("/readyz", "503"):
                continue
            assert code in REFUSALS, (method, path, code)
            ref = response["content"]["application/json"]["schema"]["$ref"]
            wanted = "FieldErrors" if code == "422" else "ErrorBody"
            assert ref == f"#/components/schemas/{wanted}", (method, path, code)
        codes = set(responses)
        secured = "security" in operation
        assert ({"401", "429", "503"} <= codes) == secured, (method, path)
        has_body = "requestBody" in operation
        assert ({"400", "415"} <= codes) == has_body, (method, path)
        assert ("422" in codes) >= has_body, (method, path)
        assert ("413" in codes) == (method in ("post", "put", "patch")), (method, path)
        assert ("404" in codes) == ("{" in path), (method, path)
        if secured:
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"]
            assert responses["429"]["headers"]["Retry-After"]["required"]
            assert responses["503"]["headers"]["Retry-After"]["required"]
    assert "409" in schema["paths"]["/v1/orgs"]["post"]["responses"]
    assert {"200", "201"} <= set(schema["paths"]["/v1/assets"]["post"]["responses"])
    for method, path in PUBLIC - {("get", "/readyz")}:
        assert set(schema["paths"][path][method]["responses"]) == {"200"}, path


async def test_the_refusals_of_a_body_are_documented_where_they_are_sent(
    client: httpx.AsyncClient, world: World
) -> None:
    """Each refusal a body can meet answers a status the operation documents, in its shape."""
    schema = await schema_of(client)
    documented = schema["paths"]["/v1/incidents"]["post"]["responses"]
    headers = {**world.grid_north, "Content-Type": "application/json"}
    bodies = {
        "not JSON": b"{",
        "a key twice": b'{"category": "ddos", "category": "ddos"}',
        "invalid": b'{"category": "ddos"}',
        "too large": b"[" + b" " * 2_000_000 + b"]",
    }
    for reason, body in bodies.items():
        response = await client.post("/v1/incidents", content=body, headers=headers)
        assert str(response.status_code) in documented, (reason, response.status_code)
        assert "detail" in response.json(), reason
    as_text = {**world.grid_north, "Content-Type": "text/plain"}
    response = await client.post("/v1/incidents", content=b"{}", headers=as_text)
    assert str(response.status_code) in documented, response.status_code
    invalid = await client.post("/v1/incidents", content=bodies["invalid"], headers=headers)
    assert invalid.status_code == 422
    assert invalid.json()["errors"], "a 422 names the invalid fields (FieldErrors)"
