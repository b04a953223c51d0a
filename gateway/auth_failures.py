"""Failed authentication, counted per client address over a moving window (the `limits` library, in memory): an
address that failed too often is answered 429 until its oldest failure leaves the window (docs/security.md,
"Tokens"). Requests that authenticate are never counted, so they are never slowed."""

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class AuthFailures:
    def __init__(self, limit: int, window_seconds: int):
        self.enabled = limit > 0
        self.item = RateLimitItemPerSecond(max(limit, 1), window_seconds, namespace="auth-failures")
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may now."""
        if not self.enabled or self.limiter.test(self.item, address):
            return None
        reset_at, _ = self.limiter.get_window_stats(self.item, address)
        return max(1, math.ceil(reset_at - time.time()))

    def failed(self, address: str) -> None:
        if self.enabled:
            self.limiter.hit(self.item, address)
