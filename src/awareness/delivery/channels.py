"""The four channels: what each sends for an event, built by pure functions, and the sending,
which turns whatever happens into an `Answer`. A webhook carries the warning exactly as
`GET /v1/warnings` gives it to the subscription's owner, signed the Standard Webhooks way;
PagerDuty gets Events API v2 `trigger` and `acknowledge`; Slack text and blocks; mail plain text
and HTML."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import aiohttp
import aiosmtplib

from awareness.delivery.schedule import Answer, retry_after
from awareness.delivery.secrets import SECRET_PREFIX
from awareness.settings import SmtpSettings

# PagerDuty severities for the service's levels (Events API v2: critical, error, warning, info).
SEVERITY = {"red": "critical", "orange": "error", "yellow": "warning", "blue": "info"}
# Which event types a channel acts on: PagerDuty also follows the alert's acknowledgement.
ACTS_ON: dict[str, frozenset[str]] = {
    "webhook": frozenset({"warning"}),
    "slack": frozenset({"warning"}),
    "email": frozenset({"warning"}),
    "pagerduty": frozenset({"warning", "ack", "resolve"}),
}
USER_AGENT = "awareness-delivery/1"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one subscription: what it is and the warning it concerns, as the owner
    may see it; or a digest of several warnings, up to `seq`."""

    seq: int
    type: str
    warning: dict[str, Any]
    digest: tuple[dict[str, Any], ...] = ()
    subscription_id: int | None = None

    @property
    def message_id(self) -> str:
        """The same on every attempt at this event (or digest), so a receiver can drop a
        repeat."""
        if self.type == "digest":
            return f"dig_{self.subscription_id}_{self.seq}"
        return f"evt_{self.seq}"


def board_link(public_url: str, warning_id: int) -> str:
    return f"{public_url.rstrip('/')}/#warning-{warning_id}"


# ---- Webhook (Standard Webhooks) ----


def webhook_body(delivery: Delivery) -> bytes:
    if delivery.type == "digest":
        data: dict[str, Any] = {"count": len(delivery.digest), "warnings": list(delivery.digest)}
        message = {"type": "digest", "data": data}
    else:
        message = {"type": delivery.warning["kind"], "data": delivery.warning}
    return json.dumps(message, separators=(",", ":")).encode()


def digest_headline(delivery: Delivery) -> str:
    count = len(delivery.digest)
    return f"Digest: {count} warning{'s' if count != 1 else ''} below your immediate level"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: v1, HMAC-SHA256 over "id.timestamp.body" with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


# ---- PagerDuty Events API v2 ----


def pagerduty_body(routing_key: str, delivery: Delivery, *, public_url: str) -> dict[str, Any]:
    warning = delivery.warning
    dedup = str(warning["id"])
    if delivery.type in ("ack", "resolve"):
        action = "acknowledge" if delivery.type == "ack" else "resolve"
        return {"routing_key": routing_key, "event_action": action, "dedup_key": dedup}
    link = board_link(public_url, warning["id"])
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {
            "summary": warning["title"][:1024],
            "source": f"awareness: {warning['sector']}",
            "severity": SEVERITY.get(warning["level"], "info"),
            "timestamp": warning["created_at"],
            "component": warning["sector"],
            "group": ",".join(warning["sectors"]),
            "class": warning["kind"],
            "custom_details": {
                "level": warning["level"],
                "kind": warning["kind"],
                "sectors": warning["sectors"],
                "evidence": warning["evidence"],
            },
        },
        "links": [{"href": link, "text": "The warning on the awareness board"}],
        "client": "awareness",
        "client_url": link,
    }


# ---- Slack incoming webhook ----


def _headline(warning: dict[str, Any]) -> str:
    tier = warning.get("escalated_tier", 1)
    escalated = f"ESCALATED to tier {tier}, unacknowledged · " if tier > 1 else ""
    kind = warning["kind"].replace("_", " ")
    return f"{escalated}{warning['level'].upper()} · {kind} · {warning['title']}"


def slack_body(delivery: Delivery, *, public_url: str) -> dict[str, Any]:
    if delivery.type == "digest":
        lines = [
            f"• <{board_link(public_url, w['id'])}|{_escaped(_headline(w))}>"
            for w in delivery.digest[:20]
        ]
        more = len(delivery.digest) - len(lines)
        text = "\n".join([f"*{digest_headline(delivery)}*", *lines]) + (
            f"\n…and {more} more" if more > 0 else ""
        )
        return {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}],
        }
    warning = delivery.warning
    link = board_link(public_url, warning["id"])

    escaped = _escaped
    headline = escaped(_headline(warning))
    return {
        "text": f"{headline} <{link}|Open on the board>",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": escaped(
                            f"sectors: {', '.join(warning['sectors'])} · raised "
                            f"{warning['created_at']} · warning {warning['id']}"
                        ),
                    }
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open on the board"},
                        "url": link,
                    }
                ],
            },
        ],
    }


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- Mail ----


def mail_message(delivery: Delivery, *, sender: str, to: str, public_url: str) -> EmailMessage:
    warning = delivery.warning
    link = board_link(public_url, warning["id"])
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    # One line, whatever the title holds.
    message["Subject"] = " ".join(f"[awareness] {_headline(warning)}".split())[:250]
    message["Message-ID"] = f"<{delivery.message_id}.{warning['id']}@awareness>"
    facts = [
        ("Level", warning["level"]),
        ("Kind", warning["kind"]),
        ("Sectors", ", ".join(warning["sectors"])),
        ("Raised", warning["created_at"]),
        ("Warning", str(warning["id"])),
    ]
    text = "\n".join(
        [warning["title"], "", *(f"{name}: {value}" for name, value in facts), "", link, ""]
    )
    message.set_content(text)
    rows = "".join(
        f"<tr><th align='left'>{html.escape(n)}</th><td>{html.escape(v)}</td></tr>"
        for n, v in facts
    )
    message.add_alternative(
        f"<html><body><h2>{html.escape(warning['title'])}</h2><table>{rows}</table>"
        f"<p><a href='{html.escape(link)}'>Open the warning on the board</a></p></body></html>",
        subtype="html",
    )
    return message


def _digest_mail(delivery: Delivery, *, sender: str, to: str, public_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"[awareness] {digest_headline(delivery)}"
    message["Message-ID"] = f"<{delivery.message_id}@awareness>"
    lines = [
        f"- {_headline(w)} ({w['created_at']})\n  {board_link(public_url, w['id'])}"
        for w in delivery.digest
    ]
    message.set_content("\n".join([digest_headline(delivery), "", *lines, ""]))
    items = "".join(
        f"<li><a href='{html.escape(board_link(public_url, w['id']))}'>"
        f"{html.escape(_headline(w))}</a> ({html.escape(w['created_at'])})</li>"
        for w in delivery.digest
    )
    message.add_alternative(
        f"<html><body><h2>{html.escape(digest_headline(delivery))}</h2><ul>{items}</ul>"
        "</body></html>",
        subtype="html",
    )
    return message


# ---- Sending ----


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> Answer:
    """One POST, redirects not followed; every outcome, answered or not, as an Answer."""
    try:
        async with session.post(
            url, data=body, headers={"user-agent": USER_AGENT, **headers}, allow_redirects=False
        ) as response:
            status = response.status
            if 200 <= status < 300:
                await response.read()
                return Answer(status)
            text = (await response.content.read(200)).decode("utf-8", "replace")
            # Retry-After dates are real time, whatever the service's clock says.
            wait = retry_after(response.headers.get("retry-after"), now=datetime.now(UTC))
            return Answer(status, text or None, wait)
    except TimeoutError:
        return Answer(None, "no answer before the time-out")
    except aiohttp.ClientConnectorError as exc:
        reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        return Answer(None, f"cannot connect to {exc.host}:{exc.port}: {reason}"[:300])
    except (aiohttp.ClientError, OSError) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:300])


async def send_mail(smtp: SmtpSettings, message: EmailMessage, *, within: float) -> Answer:
    try:
        await aiosmtplib.send(
            message,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password.get_secret_value() if smtp.password else None,
            use_tls=smtp.security == "tls",
            start_tls=smtp.security == "starttls",
            tls_context=ssl.create_default_context(),
            timeout=within,
        )
    except aiosmtplib.SMTPResponseException as exc:
        return Answer(None, f"SMTP {exc.code}: {exc.message}"[:300])
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:300])
    return Answer(None, accepted=True)
