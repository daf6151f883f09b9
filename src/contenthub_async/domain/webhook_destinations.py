"""Which network addresses a per-task ``callback_url`` may reach (server-side request forgery).

A task's callback URL comes with the task, from whoever may submit one, so it could point at
the machine's metadata service (169.254.169.254), at link-local or private networks, or at
the daemon's own loopback services. Unless ``CONTENTHUB_WEBHOOK_ALLOW_PRIVATE=true``, only
globally routable unicast addresses are allowed; every address the host name resolves to
must be allowed, and the request then goes to the address that was checked (no second DNS
lookup that could answer differently). ``WEBHOOK_URL`` is the operator's own setting and is
not restricted.
"""

from __future__ import annotations

import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def blocked_reason(address: IpAddress, *, allow_private: bool) -> str | None:
    """Why a callback may not connect to ``address`` (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        return "unspecified or multicast address"
    if allow_private:
        return None
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address (cloud metadata lives here)"
    if address.is_private or address.is_reserved or not address.is_global:
        return "private or reserved address"
    return None
