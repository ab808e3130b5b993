"""Where a subscription may send. A target is checked when the subscription is created and again
before every attempt (a name may resolve elsewhere later): unless the settings allow it, no
target on loopback, private, link-local or reserved addresses, so a subscription cannot make the
service probe the network it runs in."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

# One address, no display name, nothing that could start another header line.
_MAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class TargetRefused(Exception):
    """Why a target cannot be used; the message is shown to the caller."""


def check_url(target: str) -> str:
    """An http(s) URL with a host (the webhook, Slack and PagerDuty channels), else refused."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("must be an http:// or https:// URL with a host")
    if any(c.isspace() for c in target):
        raise TargetRefused("must not contain white space")
    return target


def check_mail(target: str) -> str:
    if len(target) > 254 or not _MAIL.match(target):
        raise TargetRefused("must be one mail address, like soc@example.org")
    return target


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def check_literal(url: str, *, allow_private: bool) -> None:
    """Refuses a URL whose host is a forbidden address written out. Names are checked when
    the connection is made (`GuardedResolver`), on the addresses it will use."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host).compressed
    except ValueError:
        return
    if _forbidden(address):
        raise TargetRefused(
            f"its host {host!r} is a loopback, private, link-local or reserved address"
        )


class GuardedResolver(AbstractResolver):
    """The HTTP client's resolver: the addresses a name resolves to, without those the service
    must not reach. Checking here, on the very addresses connected to, leaves no gap between a
    check and the connection for a name to change its answer (DNS rebinding)."""

    def __init__(self, *, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self._allow = allow_private
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if self._allow:
            return found
        kept = [entry for entry in found if not _forbidden(entry["host"])]
        if not kept:
            raise OSError(
                f"{host} resolves only to loopback, private, link-local or reserved addresses"
            )
        return kept

    async def close(self) -> None:
        await self._inner.close()


async def check_reachable(url: str, *, allow_private: bool) -> None:
    """Refuses a URL whose host is, or resolves to, an address the service must not reach."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        addresses = [ipaddress.ip_address(host).compressed]
    except ValueError:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, None, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise TargetRefused(f"its host {host!r} does not resolve ({exc.strerror})") from None
        addresses = [str(info[4][0]) for info in found]
    if any(_forbidden(address) for address in addresses):
        raise TargetRefused(
            f"its host {host!r} is on a loopback, private, link-local or reserved address; "
            "AWARENESS_DELIVERY__ALLOW_PRIVATE_TARGETS=true allows those"
        )
