"""Browser tests: Debian's `chromium`, driven by Playwright, against a real `awareness serve`
process on SQLite in a temporary directory.

Without /usr/bin/chromium (or `AWARENESS_CHROMIUM`) every browser test is skipped
(`apt-get install chromium` enables them); with `AWARENESS_REQUIRE_BROWSER=1` a missing browser
is a failure instead. Screenshots go to tests/artifacts/; `AWARENESS_UPDATE_DOCS_SCREENSHOT=1`
also refreshes docs/board.png."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_SECRETS_KEY
from tests.servers import ServerProcess, create_key, run_cli

CHROMIUM = Path(os.environ.get("AWARENESS_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("AWARENESS_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DOCS = Path(__file__).resolve().parents[2] / "docs"
SERVER_ENV = {
    "AWARENESS_FEED__KEEPALIVE_SECONDS": "1",
    "AWARENESS_CORRELATOR__TICK_GRACE_SECONDS": "0",
    # Subscriptions deliver to receivers the tests run on loopback; the secrets key is given so
    # that no key file is written where the server happens to run.
    "AWARENESS_DELIVERY__ALLOW_PRIVATE_TARGETS": "true",
    "AWARENESS_DELIVERY__SECRETS_KEY": TEST_SECRETS_KEY,
    "AWARENESS_DELIVERY__POLL_SECONDS": "0.2",
}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CAMPAIGN_IP = "185.220.101.47"
# Console errors the browser itself logs for requests the page expected to fail; a test allows
# them by name, never wholesale.
OFFLINE = (
    re.compile(r"Failed to load resource: net::ERR_CONNECTION_REFUSED"),
    re.compile(r"WebSocket connection to '.*' failed"),
)
REJECTED_401 = re.compile(r"Failed to load resource: the server responded with a status of 401")
REJECTED_422 = re.compile(r"Failed to load resource: the server responded with a status of 422")


def severe(**fields: Any) -> dict[str, Any]:
    """An incident of severity above 80: holds its sector at orange on its own."""
    return {
        "detected_at": datetime.now(UTC).isoformat(),
        "category": "ransomware",
        "functional_impact": "denial_critical",
        "location": "safety_systems",
        "information_impact": "destruction_critical",
        "recoverability": "not_recoverable",
        **fields,
    }


def significant(**fields: Any) -> dict[str, Any]:
    """An incident of severity between 40 and 80: raises nothing on its own, but at 2 of a
    sector's 4 organizations within 24 h it makes the sector orange by breadth, at 3 red."""
    return {
        "detected_at": datetime.now(UTC).isoformat(),
        "category": "intrusion",
        "functional_impact": "significant_critical",
        "location": "critical_system_dmz",
        "information_impact": "suspected",
        **fields,
    }


@pytest.fixture(scope="session", autouse=True)
def chromium() -> Path:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: `apt-get install chromium` enables the browser tests"
        if REQUIRE_BROWSER:
            pytest.fail(message + " (AWARENESS_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A migrated SQLite file with an admin key, copied for every test (the CLI is slow)."""
    path = tmp_path_factory.mktemp("browser-template") / "awareness.db"
    url = f"sqlite+aiosqlite:///{path}"
    run_cli(url, "migrate")
    admin = create_key(url, "--role", "admin", "--name", "browser tests")
    return path, admin


class Service:
    """One `awareness serve` process; `restart()` brings it back on the same port."""

    def __init__(self, directory: Path, template: Path, admin_key: str) -> None:
        self.directory = directory
        db = directory / "awareness.db"
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{template}{suffix}")
            if source.exists():
                shutil.copy(source, f"{db}{suffix}")
        self.database_url = f"sqlite+aiosqlite:///{db}"
        self.admin_key = admin_key
        self.server = ServerProcess(
            self.database_url, log_path=directory / "server.log", **SERVER_ENV
        )
        self._clients: list[httpx.Client] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> Service:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def restart_same_port(self, attempts: int = 5) -> None:
        """Start again on the port the board knows; the old socket may linger a moment."""
        for attempt in range(attempts):
            try:
                self.server.start()
                return
            except AssertionError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)

    def another_process(self) -> ServerProcess:
        """A second server on the same database and another port (as a replica would be)."""
        return ServerProcess(
            self.database_url, log_path=self.directory / "another.log", **SERVER_ENV
        ).start()

    def pause(self) -> None:
        """SIGSTOP: the socket stays open but nothing is sent, like a hung server."""
        assert self.server.process is not None
        self.server.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.server.process is not None
        self.server.process.send_signal(signal.SIGCONT)

    def client(self, key: str, base_url: str | None = None) -> httpx.Client:
        client = httpx.Client(
            base_url=base_url or self.url, headers={"Authorization": f"Bearer {key}"}, timeout=10
        )
        self._clients.append(client)
        return client

    def key(self, role: str, **body: Any) -> str:
        response = self.client(self.admin_key).post("/v1/keys", json={"role": role, **body})
        assert response.status_code == 201, response.text
        return response.json()["key"]

    def operator(self, org_id: str, sector: str) -> str:
        response = self.client(self.admin_key).post(
            "/v1/orgs",
            json={"id": org_id, "name": org_id.replace("-", " ").title(), "sector": sector},
        )
        assert response.status_code == 201, response.text
        return self.key("operator", org=org_id)

    def report(self, key: str, incident: dict[str, Any], base_url: str | None = None) -> int:
        response = self.client(key, base_url).post("/v1/incidents", json=incident)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def close(self) -> None:
        for client in self._clients:
            client.close()
        if self.server.process is not None and self.server.process.poll() is None:
            self.resume()
            self.server.stop()


@pytest.fixture
def service(tmp_path: Path, template_db: tuple[Path, str]) -> Iterator[Service]:
    template, admin = template_db
    running = Service(tmp_path, template, admin).start()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    # Generous where the issue sets no bound (machines running other suites are slow); the
    # bounds the issue does set (2 seconds for a campaign) are passed explicitly.
    sync_api.expect.set_options(timeout=10_000)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Board:
    """One signed-in tab with everything its console said."""

    page: Any
    context: Any
    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def shot(self, name: str, *, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        if full_page:
            self.page.evaluate("window.scrollTo(0, 0)")  # the sticky header belongs on top
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def assert_clean(self, *allowed: re.Pattern[str]) -> None:
        """No script error ever; console errors only those the test expected by name."""
        assert self.page_errors == [], f"script errors: {self.page_errors}"
        errors = [
            text
            for kind, text in self.console
            if kind == "error" and not any(p.search(text) for p in allowed)
        ]
        assert errors == [], f"console errors: {errors}"


@pytest.fixture
def open_board(browser: Any) -> Iterator[Callable[..., Board]]:
    boards: list[Board] = []

    def open_(
        url: str,
        key: str | None,
        *,
        viewport: tuple[int, int] = (1280, 800),
        init_script: str | None = None,
        permissions: list[str] | None = None,
        locale: str = "en-GB",
    ) -> Board:
        """`locale`: the browser's language (navigator.languages), from which the board
        chooses its own: English unless it is Chinese."""
        from playwright.sync_api import expect

        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            device_scale_factor=1,
            timezone_id="UTC",
            locale=locale,
        )
        if permissions:
            context.grant_permissions(permissions, origin=url)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        board = Board(page, context)
        page.on("console", lambda m: board.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: board.page_errors.append(str(e)))
        boards.append(board)
        page.goto(url + "/")
        if key is not None:
            # By id: the labels are in the board's language.
            page.locator("#api-key").fill(key)
            page.locator("#sign-in-button").click()
            expect(page.locator("#connection")).to_have_attribute("data-state", "live")
            page.mouse.move(0, 0)  # no hover effect where the sign-in button was
        return board

    yield open_
    for board in boards:
        board.context.close()
