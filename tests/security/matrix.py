"""What each caller may do and learn, as data, for the security tests.

First the role x route x object matrix: for every route of the API, and for objects inside and
outside each caller's scope, the status each kind of caller gets. `test_matrix.py` builds the
world these names refer to and checks every cell.

Callers (columns, in this order):
    anon      no Authorization header
    bad       a malformed key (`Bearer not-an-api-key`)
    revoked   a key revoked before the test (an operator's of org-a)
    op_a      operator of org-a (energy)
    op_b      operator of org-b, the same sector as org-a
    op_w      operator of org-w (water), another sector
    sup_e     supervisor scoped to energy
    sup_all   supervisor of every sector
    resp_e    responder scoped to energy
    resp_all  responder of every sector
    admin

Objects named in paths (`test_matrix.World.objects`):
    {incident_a} org-a's incident     {incident_w} org-w's incident    {missing} no such id
    {warning_e}  energy's level warning (raised by org-a's severe incident)
    {warning_w}  water's level warning (raised by org-w's severe incident)
    {exposure}   the exposure warning of org-w's incident: about water, addressed to org-b in
                 energy, so it concerns both sectors
    {fresh_key}  a key created for this request    {revoked_key} the revoked key's id
    {sub_e}      the energy responder's subscription (energy)
    {sub_all}    the admin's subscription (every sector)
    {fresh_sub}  a subscription of the energy responder created for this request

`#plc-b`: the incident names org-b's asset `plc-b`; `#org-b`: the asset names org-b in a field.
`WS` rows are the feed: 101 when the socket is accepted and sends its `connected` frame, else
the close code (4401: no, unknown or revoked credentials). `?ticket` trades the caller's key for
a ticket first (a ticket issued before the revocation, for `revoked`; a made-up one without a
key)."""

from __future__ import annotations

from dataclasses import dataclass

from awareness.auth.principal import Role
from awareness.exchange.ids import collection_id, inbox_id

_TAXII = "/taxii2/api/collections"
_WARNINGS, _CAMPAIGNS, _INCIDENTS = (
    collection_id(name) for name in ("warnings", "campaigns", "incidents")
)
_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
_INBOX_A = inbox_id("org-a")  # org-a's writable collection
_NO_STATUS = "00000000-0000-4000-8000-000000000000"

PRINCIPALS = (
    "anon", "bad", "revoked", "op_a", "op_b", "op_w", "sup_e", "sup_all", "resp_e", "resp_all",
    "admin",
)  # fmt: skip

# fmt: off
#                                          non bad rev opA opB opW suE su* reE re* adm
MATRIX: dict[str, str] = {
    # Who the key is, and the board: every role. A sector outside a scoped caller's list is
    # still answered: every sector's level is for every role (CONTRACT: GET /v1/sectors/{s}).
    "GET /v1/me":                         "401 401 401 200 200 200 200 200 200 200 200",
    "GET /v1/sectors":                    "401 401 401 200 200 200 200 200 200 200 200",
    "GET /v1/sectors/energy":             "401 401 401 200 200 200 200 200 200 200 200",
    "GET /v1/sectors/water":              "401 401 401 200 200 200 200 200 200 200 200",
    "GET /v1/sectors/space":              "401 401 401 404 404 404 404 404 404 404 404",
    # Coverage judges operators' duties and names the silent ones: that sector's supervisors
    # and admins; another sector is 404 to a scoped supervisor, as one that does not exist.
    "GET /v1/sectors/energy/coverage":    "401 401 401 403 403 403 200 200 403 403 200",
    "GET /v1/sectors/water/coverage":     "401 401 401 403 403 403 404 200 403 403 200",
    "GET /v1/sectors/space/coverage":     "401 401 401 403 403 403 404 404 403 403 404",
    # Exposure to KEV entries and ICS advisories names the exposed operators: coverage's readers.
    "GET /v1/sectors/energy/vulnerabilities": "401 401 401 403 403 403 200 200 403 403 200",
    "GET /v1/sectors/water/vulnerabilities":  "401 401 401 403 403 403 404 200 403 403 200",
    "GET /v1/sectors/space/vulnerabilities":  "401 401 401 403 403 403 404 404 403 403 404",
    # Warnings: filtered to the caller's scope, never refused; a filter outside it finds none.
    # The admin reads and acknowledges everything: it can issue itself any key anyway, and
    # reading as itself leaves the audit trail plain (README).
    "GET /v1/warnings":                   "401 401 401 200 200 200 200 200 200 200 200",
    "GET /v1/warnings?sector=water":      "401 401 401 200 200 200 200 200 200 200 200",
    # A warning as a CAP 1.2 alert, and the Atom feed of them: the same readers as the list.
    "GET /v1/warnings/{warning_e}.cap":   "401 401 401 200 200 404 200 200 200 200 200",
    "GET /v1/warnings/{warning_w}.cap":   "401 401 401 404 404 200 404 200 404 200 200",
    "GET /v1/warnings/{exposure}.cap":    "401 401 401 404 200 404 200 200 200 200 200",
    "GET /v1/warnings/{missing}.cap":     "401 401 401 404 404 404 404 404 404 404 404",
    "GET /v1/warnings.atom":              "401 401 401 200 200 200 200 200 200 200 200",
    # The MISP feed: the same readers as the list, each pulling its own events (an event
    # outside a key's scope is 404 like one that never was: tests/exchange/test_misp.py).
    "GET /misp/feed/manifest.json":       "401 401 401 200 200 200 200 200 200 200 200",
    "GET /misp/feed/hashes.csv":          "401 401 401 200 200 200 200 200 200 200 200",
    "GET /misp/feed/{missing}.json":      "401 401 401 404 404 404 404 404 404 404 404",
    # Acknowledging: supervisors and responders, a warning they may see; others' are 404.
    "POST /v1/warnings/{warning_e}/ack":  "401 401 401 403 403 403 200 200 200 200 200",
    "POST /v1/warnings/{warning_w}/ack":  "401 401 401 403 403 403 404 200 404 200 200",
    "POST /v1/warnings/{exposure}/ack":   "401 401 401 403 403 403 200 200 200 200 200",
    "POST /v1/warnings/{missing}/ack":    "401 401 401 403 403 403 404 404 404 404 404",
    # The response: the same callers as acknowledging. Assigning again reassigns; resolving
    # again changes nothing, like acknowledging (the resolve rows come after the assign rows).
    "POST /v1/warnings/{warning_e}/assign": "401 401 401 403 403 403 200 200 200 200 200",
    "POST /v1/warnings/{warning_w}/assign": "401 401 401 403 403 403 404 200 404 200 200",
    "POST /v1/warnings/{missing}/assign": "401 401 401 403 403 403 404 404 404 404 404",
    "POST /v1/warnings/{warning_e}/notes": "401 401 401 403 403 403 201 201 201 201 201",
    "POST /v1/warnings/{warning_w}/notes": "401 401 401 403 403 403 404 201 404 201 201",
    "GET /v1/warnings/{warning_e}/timeline": "401 401 401 403 403 403 200 200 200 200 200",
    "GET /v1/warnings/{warning_w}/timeline": "401 401 401 403 403 403 404 200 404 200 200",
    "GET /v1/warnings/{missing}/timeline": "401 401 401 403 403 403 404 404 404 404 404",
    "POST /v1/warnings/{warning_e}/resolve": "401 401 401 403 403 403 200 200 200 200 200",
    "POST /v1/warnings/{warning_w}/resolve": "401 401 401 403 403 403 404 200 404 200 200",
    # Subscriptions: supervisors, responders and admins; a supervisor manages those within
    # its sectors, a responder its own, an admin all; the others' are 404.
    "POST /v1/subscriptions":             "401 401 401 403 403 403 201 201 201 201 201",
    "GET /v1/subscriptions":              "401 401 401 403 403 403 200 200 200 200 200",
    "GET /v1/subscriptions/{sub_e}":      "401 401 401 403 403 403 200 200 200 404 200",
    "GET /v1/subscriptions/{sub_all}":    "401 401 401 403 403 403 404 200 404 404 200",
    "GET /v1/subscriptions/{sub_e}/deliveries": "401 401 401 403 403 403 200 200 200 404 200",
    "GET /v1/subscriptions/{sub_all}/deliveries": "401 401 401 403 403 403 404 200 404 404 200",
    "POST /v1/subscriptions/{sub_e}/enable": "401 401 401 403 403 403 200 200 200 404 200",
    "DELETE /v1/subscriptions/{fresh_sub}": "401 401 401 403 403 403 204 204 204 404 204",
    "DELETE /v1/subscriptions/{missing}": "401 401 401 403 403 403 404 404 404 404 404",
    "GET /v1/campaigns":                  "401 401 401 403 403 403 200 200 200 200 200",
    "GET /v1/campaigns?sector=water":     "401 401 401 403 403 403 200 200 200 200 200",
    # Raw reports: operators their own organization's, supervisors their sectors'; another
    # organization's incident is 404, as if absent, never 403.
    "GET /v1/incidents":                  "401 401 401 200 200 200 200 200 403 403 200",
    "GET /v1/incidents/{incident_a}":     "401 401 401 200 404 404 200 200 403 403 200",
    "GET /v1/incidents/{incident_w}":     "401 401 401 404 404 200 404 200 403 403 200",
    "GET /v1/incidents/{missing}":        "401 401 401 404 404 404 404 404 403 403 404",
    # Reporting clocks (org-a is under NIS2): an operator files its own incidents' stages;
    # another's incident is 404. Overdue stages: as the incidents they belong to.
    "POST /v1/incidents/{incident_a}/updates": "401 401 401 201 404 404 403 403 403 403 403",
    "POST /v1/incidents/{incident_w}/updates": "401 401 401 404 404 422 403 403 403 403 403",
    "POST /v1/incidents/{missing}/updates": "401 401 401 404 404 404 403 403 403 403 403",
    "GET /v1/clocks/overdue":             "401 401 401 200 200 200 200 200 403 403 200",
    "PUT /v1/orgs/org-a/regimes":         "401 401 401 403 403 403 403 403 403 403 200",
    "POST /v1/incidents":                 "401 401 401 201 201 201 403 403 403 403 403",
    "POST /v1/incidents/batch":           "401 401 401 201 201 201 403 403 403 403 403",
    # Writes stay in the key's organization: another's asset is unknown, an org field refused.
    "POST /v1/incidents#plc-b":           "401 401 401 422 201 422 403 403 403 403 403",
    "GET /v1/assets":                     "401 401 401 200 200 200 200 200 403 403 200",
    "POST /v1/assets":                    "401 401 401 201 201 201 403 403 403 403 403",
    "POST /v1/assets/batch":              "401 401 401 200 200 200 403 403 403 403 403",
    "POST /v1/assets#org-b":              "401 401 401 422 422 422 403 403 403 403 403",
    # Administration.
    "GET /v1/orgs":                       "401 401 401 403 403 403 403 403 403 403 200",
    "POST /v1/orgs":                      "401 401 401 403 403 403 403 403 403 403 201",
    "POST /v1/keys":                      "401 401 401 403 403 403 403 403 403 403 201",
    "DELETE /v1/keys/{fresh_key}":        "401 401 401 403 403 403 403 403 403 403 204",
    "DELETE /v1/keys/{revoked_key}":      "401 401 401 403 403 403 403 403 403 403 404",
    "DELETE /v1/keys/{missing}":          "401 401 401 403 403 403 403 403 403 403 404",
    # Feed imports (KEV catalogue, CSAF advisories): admins only, refused before the body.
    "POST /v1/feeds/kev":                 "401 401 401 403 403 403 403 403 403 403 200",
    "POST /v1/feeds/csaf":                "401 401 401 403 403 403 403 403 403 403 200",
    # The audit trail: admins only, filters or not.
    "GET /v1/audit":                      "401 401 401 403 403 403 403 403 403 403 200",
    "GET /v1/audit?action=key.create&limit=5": "401 401 401 403 403 403 403 403 403 403 200",
    # The feed: every role, scoped by what it receives (test_leaks.py), never refused.
    "POST /v1/feed/tickets":              "401 401 401 201 201 201 201 201 201 201 201",
    "WS /v1/feed":                        "4401 4401 4401 101 101 101 101 101 101 101 101",
    "WS /v1/feed?sector=water":           "4401 4401 4401 101 101 101 101 101 101 101 101",
    "WS /v1/feed?ticket":                 "4401 4401 4401 101 101 101 101 101 101 101 101",
    # Public: no key needed, and a bad one is not even looked at.
    "GET /v1/vocabulary":                 "200 200 200 200 200 200 200 200 200 200 200",
    "GET /healthz":                       "200 200 200 200 200 200 200 200 200 200 200",
    "GET /docs/stix-warning-extension.json": "200 200 200 200 200 200 200 200 200 200 200",
    "GET /readyz":                        "200 200 200 200 200 200 200 200 200 200 200",
    "GET /openapi.json":                  "200 200 200 200 200 200 200 200 200 200 200",
    "GET /docs":                          "200 200 200 200 200 200 200 200 200 200 200",
    # Metrics tell who is connected and how much is reported: the admin key (or the metrics
    # token, or anyone when `metrics.public` is set; neither is here).
    "GET /metrics":                       "401 401 401 403 403 403 403 403 403 403 200",
    # TAXII 2.1: every role, each reading the collections its /v1 lists show it; a collection
    # it may not read is absent (404), as a record outside its scope.
    "GET /taxii2/":                       "401 401 401 200 200 200 200 200 200 200 200",
    "GET /taxii2/api/":                   "401 401 401 200 200 200 200 200 200 200 200",
    "GET /taxii2/api/collections/":       "401 401 401 200 200 200 200 200 200 200 200",
    f"GET {_TAXII}/{_WARNINGS}/":          "401 401 401 200 200 200 200 200 200 200 200",
    f"GET {_TAXII}/{_WARNINGS}/objects/":  "401 401 401 200 200 200 200 200 200 200 200",
    f"GET {_TAXII}/{_WARNINGS}/manifest/": "401 401 401 200 200 200 200 200 200 200 200",
    f"GET {_TAXII}/{_WARNINGS}/objects/{_CLEAR}/": "401 401 401 200 200 200 200 200 200 200 200",
    f"GET {_TAXII}/{_WARNINGS}/objects/{_CLEAR}/versions/":
                                          "401 401 401 200 200 200 200 200 200 200 200",
    f"GET {_TAXII}/{_CAMPAIGNS}/objects/": "401 401 401 404 404 404 200 200 200 200 200",
    f"GET {_TAXII}/{_INCIDENTS}/":         "401 401 401 200 200 200 200 200 404 404 200",
    f"GET {_TAXII}/{_INCIDENTS}/objects/": "401 401 401 200 200 200 200 200 404 404 200",
    "GET /taxii2/api/collections/nothing/": "401 401 401 404 404 404 404 404 404 404 404",
    # Writing: an operator to its own organization's collection only (the matrix sends no body,
    # so org-a's request passes every check but the media type's: 415); another's is absent
    # (404), a read collection read-only (403); other roles never write (403). A status is read
    # by the organization that posted it (tests/exchange/test_taxii_inbox.py).
    f"POST {_TAXII}/{_INBOX_A}/objects/":  "401 401 401 415 404 404 403 403 403 403 403",
    f"POST {_TAXII}/{_WARNINGS}/objects/": "401 401 401 403 403 403 403 403 403 403 403",
    f"GET /taxii2/api/status/{_NO_STATUS}/": "401 401 401 404 404 404 403 403 403 403 403",
}
# fmt: on


# The leak world of `test_leaks.py`: two sectors, seven organizations, their assets and the
# indicators they report, two campaigns and an exposure warning; and who may learn which of
# those ids and values. Every id is distinctive (none is a substring of another, and asset ids
# and indicators never contain an organization id), so a substring search is reliable.
ENERGY_ORGS = ("energy-org-a1", "energy-org-a2", "energy-org-a3", "energy-org-a4")
WATER_ORGS = ("water-org-b1", "water-org-b2", "water-org-b3")
SECTOR = {org: "energy" for org in ENERGY_ORGS} | {org: "water" for org in WATER_ORGS}
ORGS = tuple(SECTOR)
# Campaign indicators need a name that resolves on the internet: `.example` never makes one.
ENERGY_ONLY = "leak-energy-only.net"
BOTH = "leak-both-sectors.net"
# Reported under TLP:RED by three energy operators: a campaign everyone in energy's scope hears
# of, whose indicator only its reporters and energy's supervisors may read.
RED = "leak-red-campaign.net"
CAMPAIGN_REPORTERS = {
    ENERGY_ONLY: ("energy-org-a1", "energy-org-a2", "energy-org-a3"),
    BOTH: ("energy-org-a4", "water-org-b1", "water-org-b2"),
    RED: ("energy-org-a1", "energy-org-a2", "energy-org-a3"),
}
TLP = {RED: "red"}  # the others: amber, the default
MIN_CAMPAIGN_ORGS = 3  # scoring.campaign.min_orgs, left at its default
EXPOSURE_SOURCE = "energy-org-a1"  # a severe incident on its PLC warns the other PLC holders
LATE_HOLDER = "water-org-b2"  # registers its PLC after that incident, and is warned then
PLC_HOLDERS = (EXPOSURE_SOURCE, "energy-org-a2", "water-org-b1", LATE_HOLDER)


def private_asset(org: str) -> str:
    return f"asset-{org.replace('-org-', '-')}-hist"


def plc_asset(org: str) -> str:
    return f"asset-{org.replace('-org-', '-')}-plc"


def private_indicator(org: str) -> str:
    """Reported by this organization alone (and `.example`: never a campaign)."""
    return f"leak-private-{org.replace('-org-', '-')}.example"


ASSETS = {
    org: {private_asset(org)} | ({plc_asset(org)} if org in PLC_HOLDERS else set()) for org in ORGS
}
REPORTED = {
    org: {private_indicator(org)} | {i for i, by in CAMPAIGN_REPORTERS.items() if org in by}
    for org in ORGS
}
CAMPAIGN_SECTORS = {
    indicator: {SECTOR[org] for org in by}
    for indicator, by in CAMPAIGN_REPORTERS.items()
    if len(by) >= MIN_CAMPAIGN_ORGS
}
EXPOSED = {org: plc_asset(org) for org in PLC_HOLDERS if org != EXPOSURE_SOURCE}
EVERYTHING = set(ORGS) | set().union(*ASSETS.values()) | set().union(*REPORTED.values())


@dataclass(frozen=True)
class Reader:
    name: str
    role: Role | None  # None: no key at all
    org: str | None = None
    sectors: tuple[str, ...] | None = None

    def allowed(self) -> set[str]:
        """Operators: their own organization's raw data. Supervisors: their sectors' raw data
        and the indicators of campaigns touching them. Responders never read raw reports: the
        indicators of campaigns touching their sectors, and the exposure targets in them with
        their matched assets. Admins everything; no key nothing. Under TLP:RED, only the
        reporters and their sector's supervisors."""
        if self.role is None:
            return set()
        red = {value for value, tlp in TLP.items() if tlp == "red"}
        if self.role is Role.admin:
            return set(EVERYTHING) - red
        if self.role is Role.operator:
            assert self.org is not None
            return {self.org} | ASSETS[self.org] | REPORTED[self.org]
        scope = set(self.sectors) if self.sectors is not None else {"energy", "water"}
        campaigns = {i for i, sectors in CAMPAIGN_SECTORS.items() if sectors & scope}
        if self.role is Role.responder:
            targets = {org for org in EXPOSED if SECTOR[org] in scope}
            return targets | {EXPOSED[org] for org in targets} | (campaigns - red)
        orgs = {org for org in ORGS if SECTOR[org] in scope}
        return orgs | set().union(*(ASSETS[o] | REPORTED[o] for o in orgs)) | campaigns

    def forbidden(self) -> set[str]:
        return EVERYTHING - self.allowed()


READERS = (
    Reader("anonymous", None),
    Reader("op-a1", Role.operator, org="energy-org-a1"),
    Reader("op-a4", Role.operator, org="energy-org-a4"),
    Reader("op-b1", Role.operator, org="water-org-b1"),
    Reader("op-b2", Role.operator, org=LATE_HOLDER),
    Reader("op-b3", Role.operator, org="water-org-b3"),
    Reader("sup-energy", Role.supervisor, sectors=("energy",)),
    Reader("sup-water", Role.supervisor, sectors=("water",)),
    Reader("sup-all", Role.supervisor),
    Reader("resp-energy", Role.responder, sectors=("energy",)),
    Reader("resp-water", Role.responder, sectors=("water",)),
    Reader("resp-all", Role.responder),
    Reader("admin", Role.admin),
)
BY_NAME = {reader.name: reader for reader in READERS}
