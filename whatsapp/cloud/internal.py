"""Who may call the internal routes of the channel and the receiver (the health route: inbox counts, whether a wamid is
known): a process on this machine that did not come through a proxy. Standard library only, so
the unit tests check it without Rasa."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# Any of these says a proxy passed the request on: whoever really called is somewhere else. A
# proxy that adds none of them must not forward the route at all (the deployment's proxy config).
PROXY_HEADERS = frozenset(
    {"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via", "x-client-ip", "true-client-ip"}
)


def is_internal(peer_ip: str | None, header_names: Iterable[str]) -> bool:
    """True for a direct caller on loopback (127.0.0.0/8, ::1, or ::ffff:127.x) without proxy headers."""
    if any(name.lower() in PROXY_HEADERS for name in header_names):
        return False
    try:
        address = ipaddress.ip_address((peer_ip or "").strip("[]"))
    except ValueError:
        return False  # a unix socket, or nothing known: not provably this machine
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
