"""Python types the generated code uses for PostgreSQL types without a builtin equivalent."""

from __future__ import annotations

from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)

InetAddress = IPv4Address | IPv6Address | IPv4Interface | IPv6Interface
"""``inet``: psycopg returns an address, or an interface when the value carries a prefix length."""

InetNetwork = IPv4Network | IPv6Network
"""``cidr``."""

__all__ = ["InetAddress", "InetNetwork"]
