"""The on-call iCal feeds (docs/oncall.md, "Calendar feeds"): `/oncall/<person>.ics` and `/oncall/tier/<tier>.ics`,
one event per shift (rotation and overrides) for the last 2 and the next 8 weeks, in the rotation's zone.

Calendar apps send neither a bearer token nor a cookie, so each address carries its own key: an HMAC of its path
with INCIDENTFLOW_ONCALL_FEED_SECRET (docs/security.md, "Tokens"). A key opens that one feed and nothing else."""

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from icalendar import Calendar, Event

from domain.incident.severity import Tier
from domain.oncall.rotation import Segment, last_handover, next_handover, rotation_for
from domain.policy.model import Policy
from gateway.context import Gateway, gateway_of
from service import oncall as oncall_service

router = APIRouter(tags=["oncall"])
PAST, AHEAD = timedelta(weeks=2), timedelta(weeks=8)
KEY_HEX = 32  # 128 bits of the HMAC: guessing a key is hopeless, and the address stays short


class FeedsOff(Exception):
    """No INCIDENTFLOW_ONCALL_FEED_SECRET: the gateway signs no feed address."""


def person_path(person: str) -> str:
    return f"/oncall/{person}.ics"


def tier_path(tier: Tier) -> str:
    return f"/oncall/tier/{tier.value}.ics"


def feed_key(gateway: Gateway, path: str) -> str:
    secret = gateway.settings.oncall_feed_secret
    if secret is None:
        raise FeedsOff("on-call feeds are off: an operator sets INCIDENTFLOW_ONCALL_FEED_SECRET (docs/security.md)")
    digest = hmac.new(secret.get_secret_value().encode(), b"incidentflow oncall feed " + path.encode(), hashlib.sha256)
    return digest.hexdigest()[:KEY_HEX]


def feed_url(request: Request, path: str) -> str:
    """The feed's full address with its key; the public URL when one is configured, else this request's."""
    base = (gateway_of(request).settings.oidc_redirect_base_url or str(request.base_url)).rstrip("/")
    return f"{base}{path}?key={feed_key(gateway_of(request), path)}"


def _checked(request: Request, path: str, key: str | None) -> None:
    try:
        wanted = feed_key(gateway_of(request), path)
    except FeedsOff as exc:
        raise HTTPException(404, str(exc)) from None
    if not key:
        raise HTTPException(401, "this feed's address needs its key (?key=…): copy it from the console's On call page")
    if not hmac.compare_digest(key.encode(), wanted.encode()):
        raise HTTPException(403, "wrong key for this feed: copy the address again from the console's On call page")


def _policy(gateway: Gateway) -> Policy:
    policy = gateway.policy()
    if policy is None:
        raise HTTPException(503, "the policy is invalid (see `incident policy check`)")
    return policy


def _pieces(gateway: Gateway, policy: Policy, tiers: list[Tier], now: datetime) -> list[Segment]:
    from adapters.stores.overrides import OverrideStore, OverrideStoreError

    try:
        overrides = OverrideStore(gateway.settings.data_dir, url=gateway.ledger_url).load()
    except OverrideStoreError as exc:
        raise HTTPException(503, str(exc)) from None
    found = []
    for tier in tiers:
        rotation = rotation_for(policy.oncall, tier)
        start, end = last_handover(rotation, now - PAST), next_handover(rotation, now + AHEAD)
        found += oncall_service.shift_pieces(policy, tier, start, end, overrides)
    return found


def calendar(policy: Policy, name: str, pieces: list[Segment], now: datetime) -> bytes:
    zone = ZoneInfo(policy.oncall.rotation.timezone)
    feed = Calendar()
    feed.add("prodid", "-//incidentflow//on-call//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", name)
    feed.add("x-wr-timezone", zone.key)
    for piece in pieces:
        if piece.who is None:
            continue
        tier_name = policy.oncall.tiers[piece.tier].name
        event = Event()
        event.add("uid", f"{piece.tier.value}-{piece.start:%Y%m%dT%H%M%SZ}-{piece.end:%Y%m%dT%H%M%SZ}-{piece.who}"
                         "@incidentflow")
        event.add("summary", f"{tier_name} — {policy.person_name(piece.who)}")
        event.add("dtstart", piece.start.astimezone(zone))
        event.add("dtend", piece.end.astimezone(zone))
        event.add("dtstamp", now.replace(microsecond=0))
        event.add("description", f"override: {piece.override}" if piece.override else "rotation")
        event.add("transp", "TRANSPARENT")  # being on call does not make a person busy
        feed.add_component(event)
    feed.add_missing_timezones()
    return feed.to_ical()


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{filename}"'})


KeyQuery = Annotated[str | None, Query(description="The feed's key, as in the address the console gives")]


@router.get("/oncall/tier/{tier}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed"},
                       401: {"description": "No key"}, 403: {"description": "Wrong key"},
                       404: {"description": "No such tier, or the feeds are off"}},
            summary="A tier's shifts as an iCal feed (the last 2 and the next 8 weeks)")
async def tier_feed(request: Request, tier: str, key: KeyQuery = None) -> Response:
    gateway = gateway_of(request)
    if tier not in {t.value for t in Tier}:
        raise HTTPException(404, f"no tier {tier!r}: use {', '.join(t.value for t in Tier)}")
    _checked(request, tier_path(Tier(tier)), key)
    policy, now = _policy(gateway), datetime.now(UTC)
    pieces = await asyncio.to_thread(_pieces, gateway, policy, [Tier(tier)], now)
    return _ics(calendar(policy, f"{policy.oncall.tiers[Tier(tier)].name} · incidentflow", pieces, now),
                f"oncall-{tier}.ics")


@router.get("/oncall/{person}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed"},
                       401: {"description": "No key"}, 403: {"description": "Wrong key"},
                       404: {"description": "No such person, or the feeds are off"}},
            summary="A person's shifts on every tier as an iCal feed (the last 2 and the next 8 weeks)")
async def person_feed(request: Request, person: str, key: KeyQuery = None) -> Response:
    gateway = gateway_of(request)
    _checked(request, person_path(person), key)
    policy, now = _policy(gateway), datetime.now(UTC)
    if person not in policy.oncall.people:
        raise HTTPException(404, f"{person!r} is not a person of the on-call policy")
    pieces = await asyncio.to_thread(_pieces, gateway, policy, list(Tier), now)
    mine = sorted((p for p in pieces if p.who == person), key=lambda p: p.start)
    return _ics(calendar(policy, f"On call · {policy.person_name(person)}", mine, now), f"oncall-{person}.ics")
