"""Comparing presented bearer tokens with configured ones in constant time."""

import hmac


def parse_tokens(raw: str | None) -> list[bytes]:
    return [t.strip().encode() for t in (raw or "").split(",") if t.strip()]


def token_matches(presented: bytes, tokens: list[bytes]) -> bool:
    # compare against every token, so the time taken does not tell which one (or how much of one) matched
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(presented, token)
    return matched
