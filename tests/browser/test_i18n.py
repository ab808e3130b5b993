"""The board in English and Simplified Chinese (issue 18): the browser's language chooses it,
the header's switch changes it at once and is remembered, and every view of the supervisor, the
operator and the responder, filled with real data, shows only the catalogue's words and the
data's own: no English left on the Chinese board (every Latin word found is data the test gave
or the service imported, or a standard's name), no Chinese on the English one."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import CAMPAIGN_IP, REJECTED_401, REJECTED_422, Board, Service, severe
from tests.browser.test_board import DOCS
from tests.browser.test_response import Receiver, receiver  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect = pytest.importorskip("playwright.sync_api").expect

DATA = Path(__file__).parent.parent / "scoring" / "data"
BROWSER_LOCALE = {"zh-CN": "zh-CN", "en": "en-GB"}

# A word in Latin letters, with what joins an identifier's parts ("grid-north", "TLP:RED").
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:['\u2019.:+_/-][A-Za-z0-9]+)*")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# What Chinese text writes in Latin letters all the same: the product's name, names of
# standards, protocols, laws and products, and the switch naming English in English.
LATIN_TERMS = frozenset(
    {
        "awareness", "English", "API", "HTTP", "TLP", "CVE", "IPV4", "IPV6", "SHA256", "SHA1",
        "MD5", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED",
        "NIS2", "CIRCIA", "CISA", "MISP", "PagerDuty", "Slack",
    }
)  # fmt: skip
SWITCH_ZH = "\u4e2d\u6587"  # the switch names Chinese in Chinese on the English board
# The operator's form hints show what to type: an indicator as the API takes it, a CVE id.
EXAMPLES = ("ipv4 185.220.101.47", "CVE-2022-38465")

# The text a person meets: what is rendered, the page's title, and the words read out or shown
# on hover (labels, titles, placeholders), also of what is hidden until opened.
SHOWN_TEXT = """() => {
  const texts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("*")) {
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value) texts.push(value);
    }
  }
  for (const option of document.querySelectorAll("option")) texts.push(option.textContent);
  return texts.join("\\n");
}"""

CATALOGUES = """async () => {
  const [en, zh] = await Promise.all([import("/messages.en.js"), import("/messages.zh-CN.js")]);
  return { en: en.default, "zh-CN": zh.default };
}"""


def placeholders(message: Any) -> set[str]:
    forms = message.values() if isinstance(message, dict) else [message]
    return {name for form in forms for name in re.findall(r"\{(\w+)\}", form)}


@dataclass
class Scene:
    """A service with every kind of data a view shows, the keys to read it, and the data's own
    words (phrases the board shows as they came: the allow-list)."""

    service: Service
    supervisor: str
    operator: str
    responder: str
    phrases: set[str] = field(default_factory=set)

    def allow(self, *values: Any) -> None:
        for value in values:
            if isinstance(value, str) and value.strip():
                self.phrases.add(value.strip())
            elif isinstance(value, list | tuple):
                self.allow(*value)


def eventually(what: str, probe: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"never happened: {what}")


def document(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def build_scene(service: Service, hooks: Receiver) -> Scene:
    """Sector levels, a campaign, dependency, exposure and vulnerability warnings, an overdue
    reporting clock, a subscription that delivers and one its target disabled."""
    admin = service.client(service.admin_key)
    for path, body in (
        ("/v1/feeds/kev", document("kev_sample.json")),
        ("/v1/feeds/csaf", [document("icsa-24-284-08.json")]),
    ):
        assert admin.post(path, json=body).status_code == 200
    orgs = {"grid-north": "energy", "grid-south": "energy", "city-water": "water",
            "metro-rail": "transportation"}  # fmt: skip
    keys = {org: service.operator(org, sector) for org, sector in orgs.items()}
    scene = Scene(
        service,
        supervisor=service.key("supervisor", name="Ana"),
        operator=keys["city-water"],
        responder=service.key("responder", name="Rita", sectors=["energy", "water"]),
    )
    scene.allow(*orgs, *(org.replace("-", " ").title() for org in orgs), "Ana", "Rita", *EXAMPLES)
    assert admin.put("/v1/orgs/city-water/regimes", json={"regimes": ["nis2"]}).status_code == 200

    assets = [
        {"asset_id": "cockpit-1", "kind": "workstation", "criticality": "high",
         "vendor": "Siemens AG", "product": "HiMed Cockpit 12 pro", "version": "V11.6.1"},
        {"asset_id": "scada-1", "kind": "scada_server", "criticality": "critical",
         "vendor": "Siemens", "product": "WinCC", "cves": ["CVE-2023-1234"]},
        {"asset_id": "broker-1", "kind": "server", "criticality": "medium", "vendor": "Apache",
         "product": "ActiveMQ", "version": "5.15.0", "cves": ["CVE-2023-46604"]},
    ]  # fmt: skip
    for asset in assets:
        assert service.client(scene.operator).post("/v1/assets", json=asset).status_code == 201
        # What the board shows as it was reported (kind and criticality are words it has).
        scene.allow(*(asset.get(k) for k in ("asset_id", "vendor", "product", "version")))
        scene.allow(asset.get("cves", []))

    hooks.status["/gone"] = 410
    for name, path in (("SOC hook", "/ok"), ("Old hook", "/gone")):
        answer = service.client(scene.supervisor).post(
            "/v1/subscriptions",
            json={"name": name, "channel": "webhook", "target": hooks.url + path},
        )
        assert answer.status_code == 201, answer.text
        scene.allow(name, hooks.url + path)

    ip = [{"type": "ipv4", "value": CAMPAIGN_IP}]
    for org in ("grid-north", "grid-south", "city-water"):
        service.report(keys[org], severe(indicators=ip))
    late = (datetime.now(UTC) - timedelta(hours=30)).isoformat()
    service.report(keys["city-water"], severe(aware_at=late))
    cve = [{"type": "cve", "value": "CVE-2023-1234"}]
    service.report(keys["metro-rail"], severe(category="intrusion", indicators=cve))

    mine = service.client(scene.operator)
    kinds = eventually(
        "the operator's exposure and vulnerability warnings",
        lambda: (
            found
            if {"exposure", "vulnerability"}
            <= (found := {w["kind"] for w in mine.get("/v1/warnings").json()["items"]})
            else None
        ),
    )
    assert "campaign" in {w["kind"] for w in admin.get("/v1/warnings").json()["items"]}, kinds

    def subscription(name: str) -> dict[str, Any]:
        items = service.client(scene.supervisor).get("/v1/subscriptions").json()["items"]
        return next(s for s in items if s["name"] == name)

    eventually("a delivery", lambda: subscription("SOC hook")["last_success_at"])
    eventually("the 410 disabling", lambda: subscription("Old hook")["state"] == "disabled")
    allow_imported(scene)
    return scene


def allow_imported(scene: Scene) -> None:
    """The words the service shows as its data came (imported catalogues, its errors, the API's
    field names a filing needs): fetched as each reader gets them."""
    service = scene.service
    for key in (scene.supervisor, scene.operator, scene.responder):
        for w in service.client(key).get("/v1/warnings", params={"limit": 200}).json()["items"]:
            allow_evidence(scene, w["evidence"])
    supervisor = service.client(scene.supervisor)
    for sector in ("energy", "water", "transportation"):
        exposure = supervisor.get(f"/v1/sectors/{sector}/vulnerabilities").json()
        scene.allow(*exposure["names"].values())
        for entry in exposure["kev"]["entries"]:
            scene.allow(entry["cve"], entry["name"], entry["vendor"], entry["product"])
        for group in exposure["advisories"]:
            for advisory in group["advisories"]:
                scene.allow(advisory["id"], advisory["title"])
    for sub in supervisor.get("/v1/subscriptions").json()["items"]:
        scene.allow(sub["disabled_reason"])
        attempts = supervisor.get(f"/v1/subscriptions/{sub['id']}/deliveries").json()["items"]
        scene.allow(*(a["error"] for a in attempts))
    for incident in service.client(scene.operator).get("/v1/incidents").json()["items"]:
        for clock in incident["clocks"]:
            scene.allow(*clock["fields"])


def allow_evidence(scene: Scene, evidence: dict[str, Any]) -> None:
    advisory = evidence.get("advisory") or {}
    scene.allow(advisory.get("id"), advisory.get("title"), advisory.get("remediation") or [])
    for vulnerability in evidence.get("vulnerabilities") or []:
        kev = vulnerability.get("kev") or {}
        scene.allow(str(vulnerability["cve"]).upper(), kev.get("name"), kev.get("action"))
    for known in evidence.get("known_exploited") or []:
        scene.allow(known["cve"], known.get("name"))
    for asset in evidence.get("assets") or []:
        for reason in asset.get("reasons") or []:
            # The board words each reason itself; only the versions and names in it are data.
            for pattern in REASON_DATA:
                if matched := re.fullmatch(pattern, reason):
                    scene.allow(*matched.groups())


# The service's reasons for matching an asset (scoring/advisories.py), with their data.
REASON_DATA = (
    r"version (.+) in (.+)",
    r"every version of (.+) affected",
    r"CVE listed on the asset",
    r"known exploited; affected per (.+)",
    r"product (.+) in KEV",
)


def sign_in(board: Board, key: str) -> None:
    board.page.locator("#api-key").fill(key)
    board.page.locator("#sign-in-button").click()
    expect(board.page.locator("#connection")).to_have_attribute("data-state", "live")


class Reader:
    """Reads what a view shows and keeps what does not belong to the board's language."""

    def __init__(self, language: str, scene: Scene | None, keys: Iterable[str]) -> None:
        self.language = language
        self.phrases = sorted(scene.phrases if scene else (), key=len, reverse=True)
        self.keys = [k for k in keys if "." in k]
        self.leaks: dict[str, set[str]] = {}

    def read(self, board: Board, view: str) -> None:
        text = board.page.evaluate(SHOWN_TEXT)
        for phrase in self.phrases:
            text = text.replace(phrase, " ")
        if self.language == "zh-CN":
            found = set(LATIN_WORD.findall(text)) - LATIN_TERMS
        else:
            found = set(CJK.findall(text.replace(SWITCH_ZH, " ")))
        # A catalogue key on screen is a message the board failed to find.
        found |= {
            key for key in self.keys if re.search(rf"(?<![\w.]){re.escape(key)}(?![\w.])", text)
        }
        if found:
            self.leaks.setdefault(view, set()).update(found)

    def check(self) -> None:
        assert not self.leaks, "words not in the board's language: " + "; ".join(
            f"{view}: {sorted(words)}" for view, words in self.leaks.items()
        )


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_view_speaks_the_browsers_language(
    service: Service,
    open_board: Callable[..., Board],
    receiver: Receiver,  # noqa: F811
    language: str,
) -> None:
    scene = build_scene(service, receiver)
    locale = BROWSER_LOCALE[language]
    zh = language == "zh-CN"
    note = "\u5df2\u9694\u79bb\u53d8\u7535\u7ad9" if zh else "Isolated the substation HMI"
    scene.allow(note)

    # Signing in: the form, the board's own refusal and the service's.
    board = open_board(service.url, None, locale=locale)
    page = board.page
    expect(page.locator("html")).to_have_attribute("lang", language)
    keys = list(page.evaluate(CATALOGUES)["en"])
    reader = Reader(language, scene, keys)
    expect(page.locator("#sign-in")).to_be_visible()
    reader.read(board, "sign-in")
    page.locator("#sign-in-button").click()
    expect(page.locator("#sign-in-error")).not_to_be_empty()
    reader.read(board, "sign-in, no key")
    board.shot(f"i18n-sign-in-{language}")
    page.locator("#api-key").fill("aw_not_a_real_key")
    page.locator("#sign-in-button").click()
    expect(page.locator("#sign-in-error")).to_contain_text("API")
    reader.read(board, "sign-in, refused")

    # The supervisor: every panel, a warning's response opened up, both sector views.
    sign_in(board, scene.supervisor)
    expect(page.locator("#campaigns-list > li")).to_have_count(1)
    expect(page.locator("#overdue-reports li")).to_have_count(1)
    rows = page.locator("#deliveries-table tbody > tr[data-subscription]")
    expect(rows).to_have_count(2)
    for row in range(2):
        rows.nth(row).locator("button[aria-controls$='-attempts']").click()
    expect(page.locator(".attempts-table")).to_have_count(2)
    warning = page.locator('li.warning[data-kind="sector_level"][data-sector="energy"]').first
    warning.locator(".w-actions > button").first.click()  # assign to me
    expect(warning).to_have_attribute("data-state", "responding")
    warning.locator("[aria-controls$='-note-form']").click()
    warning.locator("textarea[name='text']").fill(note)
    warning.locator("form[id$='-note-form'] button[type='submit']").click()
    expect(warning.locator(".w-done")).not_to_be_empty()
    warning.locator("button.disclosure").click()
    expect(warning.locator('.timeline > li[data-kind="note"]')).to_have_count(1)
    expect(warning.locator('.timeline > li[data-kind="delivery"]').first).to_be_visible()
    warning.locator("[aria-controls$='-resolve-form']").click()
    warning.locator("form[id$='-resolve-form'] button[type='submit']").click()
    expect(warning.locator("form[id$='-resolve-form'] .field-error")).not_to_be_empty()
    reader.read(board, "supervisor board, resolving")
    warning.locator("[aria-controls$='-assign-form']").click()
    reader.read(board, "supervisor board, assigning")
    warning.locator("[aria-controls$='-assign-form']").click()
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    shot = board.shot(f"i18n-supervisor-{language}")
    if os.environ.get("AWARENESS_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copy(shot, DOCS / f"board-{language}.png")
    board.shot(f"i18n-supervisor-{language}-full", full_page=True)
    for sector in ("energy", "water"):
        page.locator(f'.tile[data-sector="{sector}"]').click()
        dialog = page.locator("#sector-dialog")
        expect(dialog.locator(".floors, .detail-section").first).to_be_visible()
        expect(dialog.locator(".vulnerabilities-section")).to_be_visible()
        reader.read(board, f"sector view {sector}")
        board.shot(f"i18n-sector-{sector}-{language}")
        dialog.locator("button.close").click()
    board.assert_clean(REJECTED_401)

    # The operator: its warnings (exposure, vulnerability first), forms refused by the service,
    # its reports with their reporting clocks.
    operator = open_board(service.url, scene.operator, locale=locale)
    page = operator.page
    cards = page.locator("#warnings-operator-list li.warning")
    expect(cards.and_(page.locator('[data-kind="vulnerability"]'))).to_have_count(2)
    expect(cards.first).to_have_attribute("data-kind", re.compile("exposure|vulnerability"))
    form = page.locator("#incident-form")
    form.locator("#incident-detected_at").fill("2099-01-01T00:00")
    form.locator("#incident-category").select_option("ransomware")
    form.locator("#incident-functional_impact").select_option("denial_critical")
    form.locator("#incident-indicators").fill("ipv4 999.1.2.3")
    # The service's messages stay English: the board shows them as its answer gave them.
    with page.expect_response(re.compile(r"/v1/incidents$")) as answer:
        form.locator("button[type='submit']").click()
    expect(page.locator("#incident-form-summary")).to_be_visible()
    assert answer.value.status == 422
    scene.allow(*(e["message"] for e in answer.value.json()["errors"]), "999.1.2.3")
    reader.phrases = sorted(scene.phrases, key=len, reverse=True)
    expect(page.locator("#own-incidents .countdown").first).to_be_visible()
    reader.read(operator, "operator board")
    # Dates of the catalogue, in the language's own form.
    dates = page.locator(".vuln-cves .kev-dates time").all_inner_texts()
    pattern = r"\d{4}\u5e74\d{1,2}\u6708\d{1,2}\u65e5" if zh else r"\d{1,2} [A-Z][a-z]{2,3} \d{4}"
    assert dates, "no date of the KEV catalogue shown"
    assert all(re.fullmatch(pattern, d) for d in dates), dates
    page.evaluate("window.scrollTo(0, 0)")
    operator.shot(f"i18n-operator-{language}")
    operator.shot(f"i18n-operator-{language}-full", full_page=True)
    page.locator('.tile[data-sector="water"]').click()
    expect(page.locator("#sector-dialog .why")).to_be_visible()
    reader.read(operator, "operator sector view")
    operator.assert_clean(REJECTED_422)

    # The responder's alert stream, sound and notifications still off.
    responder = open_board(service.url, scene.responder, locale=locale)
    expect(responder.page.locator("#alert-state")).not_to_be_empty()
    expect(responder.page.locator("li.warning").first).to_be_visible()
    reader.read(responder, "responder board")
    responder.shot(f"i18n-responder-{language}")
    responder.assert_clean()
    reader.check()


def test_the_switch_changes_the_language_at_once_and_is_remembered(
    service: Service, open_board: Callable[..., Board]
) -> None:
    service.report(service.operator("grid-north", "energy"), severe())
    board = open_board(service.url, service.key("supervisor", name="Ana"), locale="zh-CN")
    page = board.page
    heading = page.locator("#sectors-panel-heading")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(heading).to_have_text("\u884c\u4e1a")
    expect(page.locator("#language")).to_have_value("zh-CN")
    warning = page.locator('li.warning[data-kind="sector_level"]').first
    expect(warning.locator(".w-title")).to_contain_text("\u80fd\u6e90")  # energy
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    # What was typed or chosen survives the switch.
    page.locator("#warnings-board-unresolved").check()
    warning.locator("[aria-controls$='-note-form']").click()
    warning.locator("textarea[name='text']").fill("half-written")

    page.locator("#language").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Sectors")
    expect(page.locator("#sign-out")).to_have_text("Sign out")
    expect(warning.locator(".w-title")).to_contain_text("Energy raised from none to orange")
    expect(page.locator(".tile .badge").first).to_have_text(re.compile(r"^[A-Z]+$"))
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("#warnings-board-unresolved")).to_be_checked()
    expect(warning.locator("textarea[name='text']")).to_have_value("half-written")
    assert page.evaluate("localStorage.getItem('awareness.locale')") == "en"
    board.shot("i18n-switched-to-en")

    # Remembered: the browser is still Chinese, the board stays English.
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Sectors")
    page.locator("#language").select_option("zh-CN")
    expect(heading).to_have_text("\u884c\u4e1a")
    expect(page.locator("#sign-out")).to_have_text("\u9000\u51fa\u767b\u5f55")
    board.assert_clean()


def test_numbers_and_times_follow_the_language(
    service: Service, open_board: Callable[..., Board]
) -> None:
    service.report(service.operator("grid-north", "energy"), severe())
    key = service.key("supervisor")
    probe = """async () => {
      const f = await import("/format.js");
      const i = await import("/i18n.js");
      const now = Date.now();
      return { ago: f.ago(now - 3 * 60_000, now), hours: f.ago(now - 5 * 3_600_000, now),
               due: f.until(now + 4 * 60_000 + 500, now), long: i.duration(26 * 3_600_000 + 60_000),
               number: i.number(12345.6), score: f.score(42), date: i.dateTime(Date.UTC(2024, 4, 1),
                 { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }),
               choices: [i.localeFor(["fr-FR", "zh-TW"]), i.localeFor(["en-US", "zh-CN"]),
                         i.localeFor(["de-DE"]), i.localeFor(["zh"])] };
    }"""
    zh = open_board(service.url, key, locale="zh-CN")
    shown = zh.page.evaluate(probe)
    assert shown["ago"] == "3\u5206\u949f\u524d"  # 3 minutes ago
    assert shown["hours"] == "5\u5c0f\u65f6\u524d"
    assert shown["due"] == "4\u5206\u949f\u540e"  # in 4 minutes
    assert shown["long"] == "1\u59292\u5c0f\u65f6"  # 1 day 2 hours
    assert shown["number"] == "12,345.6"
    assert shown["score"] == "42.0"
    assert shown["date"] == "2024\u5e745\u67081\u65e5"
    assert shown["choices"] == ["zh-CN", "en", "en", "zh-CN"]
    # On the board: a warning's age reads in Chinese, and so does the tile's.
    age = zh.page.locator("li.warning time.age").first
    expect(age).to_have_text(re.compile("\u79d2\u524d|\u5206\u949f\u524d|\u73b0\u5728"))
    expect(zh.page.locator('.tile[data-sector="energy"] .tile-age')).to_contain_text("\u66f4\u65b0")

    en = open_board(service.url, key, locale="en-GB")
    shown = en.page.evaluate(probe)
    assert shown["ago"] == "3 min ago"
    assert shown["due"] == "in 4 min"
    assert shown["long"] == "1d 2h"
    assert shown["date"] == "1 May 2024"
    expect(en.page.locator("li.warning time.age").first).to_have_text(
        re.compile(r"^(\d+ sec ago|now)$")
    )
    zh.assert_clean()
    en.assert_clean()


def test_both_catalogues_have_the_same_messages_and_every_word_of_the_vocabulary(
    service: Service, open_board: Callable[..., Board]
) -> None:
    board = open_board(service.url, None)
    catalogues = board.page.evaluate(CATALOGUES)
    en, zh = catalogues["en"], catalogues["zh-CN"]
    assert sorted(set(en) - set(zh)) == [], "only in English"
    assert sorted(set(zh) - set(en)) == [], "only in Chinese"
    differ = {k: (placeholders(en[k]), placeholders(zh[k])) for k in en}
    assert {k: v for k, v in differ.items() if v[0] != v[1]} == {}, "placeholders differ"
    latin = {k for k, v in zh.items() if not CJK.search(json.dumps(v, ensure_ascii=False))}
    assert sorted(latin - UNTRANSLATED) == [], "a Chinese message without Chinese"

    vocabulary = httpx.get(f"{service.url}/v1/vocabulary", timeout=10).json()
    prefixes = {("incident", "category"): "category", ("asset", "kind"): "asset_kind"}
    wanted = [f"level.{v}" for v in vocabulary["levels"]]
    wanted += [f"kind.{v}" for v in vocabulary["warning_kinds"]]
    wanted += [f"indicator.{v}" for v in vocabulary["indicator_types"]]
    for form in ("incident", "asset"):
        for name, choice in vocabulary[form].items():
            prefix = prefixes.get((form, name), name)
            wanted += [f"{prefix}.{v}" for v in choice["values"]]
    assert [k for k in wanted if k not in en] == [], "vocabulary without words"
    assert [zh[f"level.{v}"] for v in vocabulary["levels"]] == [
        "\u65e0", "\u84dd\u8272", "\u9ec4\u8272", "\u6a59\u8272", "\u7ea2\u8272"
    ]  # fmt: skip
    board.assert_clean()


# Chinese messages rightly without a Chinese character: a separator, the product's name,
# standard labels and names of products, and lines made only of other messages and data.
UNTRANSLATED = {
    "sentence.separator", "app.title", "app.title.levels", "app.who", "app.who.named",
    "actor.service", "clocks.label", "channel.pagerduty", "channel.slack", "indicator.ipv4",
    "indicator.ipv6", "indicator.sha256", "indicator.sha1", "indicator.md5", "indicator.cve",
    "tlp.clear", "tlp.green", "tlp.amber", "tlp.amber+strict", "tlp.red",
    "timeline.status.bare", "reports.col.id",
}  # fmt: skip


def test_sector_names_come_from_the_profile_and_fall_back_to_the_id(
    service: Service, open_board: Callable[..., Board]
) -> None:
    vocabulary = httpx.get(f"{service.url}/v1/vocabulary", timeout=10).json()
    names = vocabulary["sector_names"]
    key = service.key("supervisor")
    zh = open_board(service.url, key, locale="zh-CN")
    expect(zh.page.locator('.tile[data-sector="energy"] .tile-name')).to_have_text(
        names["energy"]["zh-CN"]
    )

    # A service that names no sector: the board shows each id humanized.
    unnamed = {k: v for k, v in vocabulary.items() if k != "sector_names"}
    en = open_board(service.url, None)
    en.context.route("**/v1/vocabulary", lambda route: route.fulfill(json=unnamed))
    en.page.reload()
    sign_in(en, key)
    expect(en.page.locator('.tile[data-sector="food_agriculture"] .tile-name')).to_have_text(
        "Food agriculture"
    )
    zh.assert_clean()
    en.assert_clean()
