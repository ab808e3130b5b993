"""The deployment files, tested as far as a machine without a container engine allows:
`docker-compose.yml` through `docker compose config` (or Debian's `docker-compose`),
`deploy/nginx.conf` through `nginx -t`, the `Dockerfile` by reading it, and the wheel the image
is built from by building it.

A missing tool skips its test with the Debian package to install; with
AWARENESS_REQUIRE_DEPLOY_TOOLS=1 (CI) a missing tool is a failure instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from awareness.settings import LimitSettings, ServerSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
DOCKERFILE = ROOT / "Dockerfile"
REQUIRE_TOOLS = os.environ.get("AWARENESS_REQUIRE_DEPLOY_TOOLS") == "1"
INSTALL = "apt-get install -y docker-compose nginx"
APP_REPLICAS = ("app1", "app2")
# A tag with a patch version (16.15, 3.11.15, 1.30.5) or an image digest.
PINNED_IMAGE = re.compile(r"^[\w./-]+(:[\w.-]*\d+\.\d+[\w.-]*)?(@sha256:[0-9a-f]{64})?$")


def _missing_tool(tool: str, package: str) -> NoReturn:
    message = (
        f"{tool} is not installed: install Debian's `{package}` package "
        f"(`{INSTALL}`) to run this test"
    )
    if REQUIRE_TOOLS:
        pytest.fail(message + " (AWARENESS_REQUIRE_DEPLOY_TOOLS=1)")
    pytest.skip(message)


def _is_pinned(image: str) -> bool:
    """A patch-level tag or a digest; a bare name, `latest` or `16` floats."""
    match = PINNED_IMAGE.match(image)
    return bool(match and (match.group(1) or match.group(2)))


# ---- docker-compose.yml ------------------------------------------------------------------


def _compose_command() -> list[str]:
    """`docker compose` when the plugin is there, else Debian's `docker-compose` (v1). Neither
    needs a running engine for `config`."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    _missing_tool("docker-compose", "docker-compose")


def _compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`config` with only the given deployment variables: an empty --env-file keeps a
    developer's .env and shell out of it."""
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POSTGRES_", "AWARENESS_", "COMPOSE_", "PYTHON"))
    }
    command = [
        *_compose_command(),
        "--project-directory",
        str(ROOT),
        "-f",
        str(COMPOSE_FILE),
        "--env-file",
        str(env_file),
        "config",
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={**clean, **env},
    )


def _depends_on(service: dict[str, Any]) -> dict[str, str | None]:
    """Dependency name -> condition, from either the list or the mapping form."""
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw)
    return {name: (spec or {}).get("condition") for name, spec in raw.items()}


def _published_ports(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(published, target) pairs, from the short or the long port syntax."""
    pairs = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            pairs.append((str(port.get("published")), str(port.get("target"))))
        else:
            *_, published, target = str(port).split(":")
            pairs.append((published, target))
    return pairs


def test_compose_config_is_accepted_and_has_the_documented_shape(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, POSTGRES_PASSWORD="not-a-real-password")
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services: dict[str, dict[str, Any]] = config["services"]
    assert set(services) == {"postgres", "migrate", *APP_REPLICAS, "lb"}

    # Exactly one published port, on the load balancer, defaulting to 8080.
    published = {name: _published_ports(svc) for name, svc in services.items()}
    assert {name: ports for name, ports in published.items() if ports} == {"lb": [("8080", "80")]}

    # Two identical app replicas built from this repository's Dockerfile, started only after
    # the migration finished, restarted unless stopped, health-checked.
    app_image = services["app1"]["image"]
    for name in APP_REPLICAS:
        app = services[name]
        assert app["image"] == app_image
        assert Path(app["build"]["context"]).resolve() == ROOT
        assert app.get("command") is None  # the image's CMD: awareness serve
        assert app["restart"] == "unless-stopped"
        assert app["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
        assert "stop_grace_period" in app
        assert _depends_on(app)["migrate"] == "service_completed_successfully"
        url = app["environment"]["AWARENESS_DATABASE_URL"]
        assert url == "postgresql+asyncpg://awareness:not-a-real-password@postgres:5432/awareness"

    # Migrations run once: one one-shot service, the same image, never restarted.
    migrate = services["migrate"]
    runs_migrate = [n for n, s in services.items() if s.get("command") == ["awareness", "migrate"]]
    assert runs_migrate == ["migrate"]
    assert migrate["image"] == app_image
    assert str(migrate.get("restart", "no")) == "no"
    assert _depends_on(migrate) == {"postgres": "service_healthy"}

    # The load balancer waits for both replicas and mounts its configuration read-only.
    lb = services["lb"]
    assert _depends_on(lb) == dict.fromkeys(APP_REPLICAS, "service_healthy")
    mounts = [
        str(v) if not isinstance(v, dict) else f"{v['source']}:{v['target']}" for v in lb["volumes"]
    ]
    assert any("deploy/nginx.conf" in m and "/etc/nginx/nginx.conf" in m for m in mounts), mounts
    assert any(
        str(v).endswith(":ro") or (isinstance(v, dict) and v.get("read_only"))
        for v in lb["volumes"]
    )

    # PostgreSQL: the secret from the environment, a health check, a named volume.
    postgres = services["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD"] == "not-a-real-password"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "pgdata" in config["volumes"]
    for name in ("postgres", "lb"):
        assert _is_pinned(services[name]["image"]), services[name]["image"]


def test_compose_port_is_configurable(tmp_path: Path) -> None:
    result = _compose_config(tmp_path, POSTGRES_PASSWORD="x", AWARENESS_PORT="9443")
    assert result.returncode == 0, result.stderr
    lb = yaml.safe_load(result.stdout)["services"]["lb"]
    assert _published_ports(lb) == [("9443", "80")]


def test_compose_refuses_to_run_without_the_database_password(tmp_path: Path) -> None:
    result = _compose_config(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "POSTGRES_PASSWORD" in result.stderr + result.stdout


def test_compose_file_gives_no_secret_a_default() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    assert re.search(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}", text)
    # Every mention of the password is the fail-fast form, never `:-default` nor a literal.
    mentions = re.findall(r"\$\{POSTGRES_PASSWORD([^}]*)\}", text)
    assert mentions
    assert all(m.startswith(":?") for m in mentions), mentions
    assert not re.search(r"^\s*-?\s*POSTGRES_PASSWORD[:=]\s*(?!\$\{)\S", text, flags=re.M)


# ---- deploy/nginx.conf -------------------------------------------------------------------


def _block(text: str, header: str) -> str:
    """The body of the first `header { ... }` block (nginx blocks nest with braces)."""
    start = text.index(header)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    raise AssertionError(f"unclosed block {header!r}")


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)([smhd]?)", value)
    assert match, f"not an nginx time: {value}"
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(match.group(1)) * units[match.group(2)]


def test_nginx_conf_proxies_websockets_and_large_batches() -> None:
    text = NGINX_CONF.read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())

    upstream = _block(code, "upstream awareness")
    assert "least_conn;" in upstream
    for name in APP_REPLICAS:
        assert re.search(rf"server {name}:8000 [^;]*max_fails=\d+[^;]*fail_timeout=\w+;", upstream)

    # WebSocket upgrade: HTTP/1.1 upstream, Upgrade and Connection passed on.
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{", code)
    assert "proxy_http_version 1.1;" in code
    assert "proxy_set_header Upgrade $http_upgrade;" in code
    assert "proxy_set_header Connection $connection_upgrade;" in code

    feed = _block(code, "location = /v1/feed")
    assert "proxy_pass http://awareness;" in feed
    timeout = re.search(r"proxy_read_timeout (\w+);", feed)
    assert timeout
    assert _seconds(timeout.group(1)) >= 3600

    # The largest body the service takes (a batch) must get through nginx.
    size = re.search(r"client_max_body_size (\d+)m;", code)
    assert size
    assert int(size.group(1)) * 1024 * 1024 == LimitSettings().max_batch_body_bytes

    assert re.search(r"proxy_set_header X-Request-ID \$\w+;", code)
    assert "proxy_set_header X-Forwarded-For" in code
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in code
    assert re.search(r"log_format json escape=json", code)
    assert re.search(r"access_log \S+ json;", code)
    health = _block(code, "location = /healthz")
    assert "return 200" in health
    assert "proxy_pass" not in health


def test_nginx_holds_the_replicas_wire_limits() -> None:
    """The edge must not let through what a replica would refuse, nor wait longer for it."""
    code = "\n".join(line.split("#", 1)[0] for line in NGINX_CONF.read_text().splitlines())
    options = ServerSettings()
    buffers = re.search(r"large_client_header_buffers (\d+) (\d+)k;", code)
    assert buffers
    assert int(buffers.group(1)) * int(buffers.group(2)) * 1024 == options.max_header_bytes
    for directive, seconds in (
        ("client_header_timeout", options.header_timeout_seconds),
        ("keepalive_timeout", options.keep_alive_seconds),
    ):
        found = re.search(rf"^\s*{directive} (\w+);", code, flags=re.M)
        assert found, directive
        assert _seconds(found.group(1)) == seconds, directive
    assert re.search(r"limit_conn per_address \d+;", code)
    assert "limit_conn_status 503;" in code


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if nginx is None:
        _missing_tool("nginx", "nginx")
    # `nginx -t` resolves every upstream host name, and app1/app2 exist only on the compose
    # network: the copy tested here points them at 127.0.0.1 (nothing needs to listen). The pid
    # file moves into the temporary prefix, and -e sends the start-up log to stderr, so the
    # test writes nothing outside tmp_path and needs no root.
    text = NGINX_CONF.read_text(encoding="utf-8")
    copy, replaced = re.subn(r"\bserver (app1|app2):", "server 127.0.0.1:", text)
    assert replaced == len(APP_REPLICAS)
    copy = re.sub(r"^pid .*;$", f"pid {tmp_path / 'nginx.pid'};", copy, flags=re.M)
    conf = tmp_path / "nginx.conf"
    conf.write_text(copy, encoding="utf-8")
    (tmp_path / "logs").mkdir()
    result = subprocess.run(
        [nginx, "-t", "-e", "stderr", "-p", f"{tmp_path}/", "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


# ---- Dockerfile --------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    result = []
    for line in logical:
        keyword, _, args = line.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
    return result


def test_dockerfile_essentials() -> None:
    instructions = _instructions(DOCKERFILE.read_text(encoding="utf-8"))
    stages: list[str] = []
    final: list[tuple[str, str]] = []
    for keyword, args in instructions:
        if keyword == "FROM":
            image, *rest = args.split()
            if image not in stages:
                assert _is_pinned(image), f"unpinned base image {image}"
                assert ":latest" not in image
                assert image.startswith("python:3.11."), image
            if len(rest) == 2 and rest[0].upper() == "AS":
                stages.append(rest[1])
            final = []
        else:
            final.append((keyword, args))
    assert stages, "build in stages so the runtime image holds no build tools"

    last = {keyword: args for keyword, args in final}
    assert "USER" in last, "the runtime stage must switch to an unprivileged user"
    assert last["USER"].split(":")[0] not in ("root", "0")
    assert "HEALTHCHECK" in last
    assert "/healthz" in last["HEALTHCHECK"]
    assert not last["HEALTHCHECK"].upper().startswith("NONE")
    assert last.get("EXPOSE") == "8000"
    assert last.get("STOPSIGNAL") == "SIGTERM"
    command = json.loads(last["CMD"])
    assert command[:2] == ["awareness", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Deny everything, then allow exactly what the wheel is built from.
    assert patterns[0] == "*"
    allowed = {p[1:] for p in patterns if p.startswith("!")}
    assert allowed == {"pyproject.toml", "README.md", "src", "config", "migrations", "dashboard"}


def test_the_wheel_bundles_what_the_image_needs(tmp_path: Path) -> None:
    """The image installs the wheel, not the checkout: config/, migrations/ and dashboard/ must
    be inside it (force-include in pyproject.toml)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("awareness-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("config", "migrations", "dashboard"):
        expected = {
            f"awareness/_bundled/{p.relative_to(ROOT).as_posix()}"
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
        assert expected, folder
        assert expected <= names, sorted(expected - names)
    assert any(n.endswith("entry_points.txt") for n in names)
