"""Whom a rate limit counts against (client_key), and the sliding window kept in process memory (the memory store of portal.web.limits)."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque

# One IPv6 subscriber is given a whole /64: keyed by address, every throttle would be endless.
IPV6_PREFIX = 64


class RateLimiter:
    """Allows `count` hits per `seconds` per client key; answers how long to wait otherwise."""

    def __init__(self, count: int, seconds: int, max_clients: int = 100_000):
        self.count, self.seconds, self.max_clients = count, seconds, max_clients
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, now: float | None = None) -> int:
        """Record a hit; return 0 when allowed, else the seconds to wait (for Retry-After)."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_clients:
                self._forget_idle(now)
            while len(self._hits) >= self.max_clients:
                # Still full of active clients: the oldest entry goes, so memory stays bounded.
                del self._hits[next(iter(self._hits))]
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.count:
            return max(1, math.ceil(hits[0] + self.seconds - now))
        hits.append(now)
        return 0

    def refund(self, key: str, stamp: float) -> None:
        """Take back the hit recorded at `stamp` (a reservation that was not needed)."""
        hits = self._hits.get(key)
        if hits and stamp in hits:
            hits.remove(stamp)

    def wait(self, key: str, now: float | None = None) -> int:
        """Seconds before `key` may hit again (0: it may now), recording nothing."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if not hits:
            return 0
        recent = [t for t in hits if t > now - self.seconds]
        if len(recent) < self.count:
            return 0
        return max(1, math.ceil(recent[-self.count] + self.seconds - now))

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.seconds]:
            del self._hits[key]


def client_key(scope_client: tuple[str, int] | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The client a limit counts against: its address (behind a trusted proxy, the forwarded one); IPv6 by /64."""
    host = scope_client[0] if scope_client else "unknown"
    if forwarded_for and host in trusted:
        host = forwarded_for.split(",")[0].strip()
    return _network_of(host)


def _network_of(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)
