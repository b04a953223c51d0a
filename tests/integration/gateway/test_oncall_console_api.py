"""`/api/oncall` and the iCal feeds over real loopback HTTP (docs/oncall.md, "The on-call API", "Calendar feeds"):
who holds each tier now, the calendar and both feeds all follow an override created, swapped or removed through
the API; an override takes an admin and the same rules as `incident oncall override` (a commander is refused 403,
an untrained person 403, a wrong field 422 naming it); a feed opens with its own key only (none 401, another's
403), and parses with icalendar into one event per shift in Asia/Seoul with the Korean names intact. The console's
forms go through the same functions: without the session's CSRF token nothing changes, and a refusal or a wrong
field is shown next to it."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar

from testkit.gateway import TOKEN
from testkit.oncall_console import COMMANDER, onboarded, oncall_gateway, personal_token

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with oncall_gateway(tmp_path_factory.mktemp("oncall-api")) as served_gateway:
        onboarded(served_gateway, "hyunwoo", "jiyoung", "seoyeon")  # minsu has not done hers
        yield served_gateway


@pytest.fixture
def admin(gateway):
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        yield http
        for o in http.get("/api/oncall/overrides", params={"include_past": True}).json():  # each test starts clean
            http.delete(f"/api/oncall/overrides/{o['id']}")


def events(body: bytes) -> list:
    return sorted(Calendar.from_ical(body).walk("VEVENT"), key=lambda e: e.decoded("dtstart"))


def feed(admin, kind: str, person: str | None = None) -> bytes:
    links = admin.get("/api/oncall/feeds", params={"person": person} if person else {}).json()
    url = links["person"]["url"] if kind == "person" else next(t["url"] for t in links["tiers"] if t["tier"] == kind)
    answer = httpx.get(url, timeout=30)  # no token, no cookie: a calendar app
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    return answer.content


def test_an_override_shows_in_who_is_on_call_the_calendar_and_both_feeds_until_it_is_removed(gateway, admin):
    before = admin.get("/api/oncall").json()
    assert before["timezone"] == "Asia/Seoul" and [t["tier"] for t in before["tiers"]] == [
        "primary", "secondary", "tertiary", "executive"]
    lead = next(t for t in before["tiers"] if t["tier"] == "tertiary")
    assert lead == {**lead, "who": "sre-lead", "source": "rotation", "override_id": None,
                    "contacts": {"slack_id": "U05SRELEAD", "email": "sre-lead@game.example", "phone": None}}
    primary = before["tiers"][0]
    assert primary["who"] != "hyunwoo" and primary["tier_name"] == "1차 온콜 (Primary)"

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start, end = now - timedelta(hours=1), now + timedelta(hours=3)
    created = admin.post("/api/oncall/overrides", json={
        "tier": "primary", "person": "hyunwoo", "start": start.astimezone(SEOUL).isoformat(),
        "end": end.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M"),  # no offset: read in the rotation's zone
        "reason": "민수 휴가 (vacation)"})
    assert created.status_code == 201, created.text
    override = created.json()
    assert {k: override[k] for k in ("tier", "person", "name", "reason", "created_by", "warning")} == {
        "tier": "primary", "person": "hyunwoo", "name": "Park Hyunwoo", "reason": "민수 휴가 (vacation)",
        "created_by": "api-token", "warning": None}
    assert datetime.fromisoformat(override["end"]) == end

    now_primary = admin.get("/api/oncall").json()["tiers"][0]
    assert {k: now_primary[k] for k in ("who", "name", "source", "override", "override_id")} == {
        "who": "hyunwoo", "name": "Park Hyunwoo", "source": "override", "override": "민수 휴가 (vacation)",
        "override_id": override["id"]}
    assert datetime.fromisoformat(now_primary["until"]) == end

    calendar = admin.get("/api/oncall/calendar", params={"weeks": 4}).json()
    first_day = datetime.fromisoformat(calendar["start"]).astimezone(SEOUL)
    assert (first_day.weekday(), first_day.hour) == (0, 0)  # Monday 00:00 in Seoul, the handover's day
    assert datetime.fromisoformat(calendar["end"]) - datetime.fromisoformat(calendar["start"]) == timedelta(weeks=4)
    shifts = calendar["tiers"][0]["shifts"]
    covered = [s for s in shifts if s["override_id"] == override["id"]]
    assert [(s["who"], s["source"], datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]))
            for s in covered] == [("hyunwoo", "override", start, end)]
    handovers = [datetime.fromisoformat(s["end"]).astimezone(SEOUL) for s in shifts if s["source"] == "rotation"]
    assert all((h.weekday(), h.hour) in ((0, 9), (0, 0)) or h.astimezone(UTC) == start for h in handovers)

    mine = events(feed(admin, "person", "hyunwoo"))
    cover = next(e for e in mine if e.decoded("dtstart") == start)
    assert str(cover["summary"]) == "1차 온콜 (Primary) — Park Hyunwoo"
    assert str(cover["description"]) == "override: 민수 휴가 (vacation)"
    assert cover.decoded("dtstart").tzinfo == SEOUL and cover.decoded("dtend") == end
    assert cover["dtstart"].params["TZID"] == "Asia/Seoul"
    tier_events = events(feed(admin, "primary"))
    assert [str(e["summary"]) for e in tier_events if e.decoded("dtstart") == start] == [
        "1차 온콜 (Primary) — Park Hyunwoo"]

    removed = admin.delete(f"/api/oncall/overrides/{override['id']}")
    assert removed.status_code == 200 and removed.json()["id"] == override["id"]
    back = admin.get("/api/oncall").json()["tiers"][0]
    assert (back["who"], back["source"], back["override_id"]) == (primary["who"], "rotation", None)
    assert not [e for e in events(feed(admin, "person", "hyunwoo")) if e.decoded("dtstart") == start]
    gone = admin.delete(f"/api/oncall/overrides/{override['id']}")
    assert gone.status_code == 404 and gone.json()["detail"] == f"no override {override['id']!r}"


def test_the_feeds_have_one_event_per_shift_for_the_last_2_and_next_8_weeks_with_stable_uids(gateway, admin):
    body = feed(admin, "primary")
    shifts = events(body)
    now = datetime.now(UTC)
    starts = [e.decoded("dtstart") for e in shifts]
    assert all((s.weekday(), s.hour, s.minute) == (0, 9, 0) and s.tzinfo == SEOUL for s in starts)
    assert [e.decoded("dtend") for e in shifts[:-1]] == starts[1:]  # back to back, a week each
    assert starts[0] <= now - timedelta(weeks=2) < starts[1] and shifts[-1].decoded("dtend") >= now + timedelta(weeks=8)
    assert len(shifts) == 11
    people = {"Kim Minsu", "Lee Jiyoung", "Park Hyunwoo", "Choi Seoyeon"}
    assert {str(e["summary"]).removeprefix("1차 온콜 (Primary) — ") for e in shifts} == people
    assert Calendar.from_ical(body)["x-wr-calname"] == "1차 온콜 (Primary) · incidentflow"
    assert [str(e["uid"]) for e in events(feed(admin, "primary"))] == [str(e["uid"]) for e in shifts]
    assert len({str(e["uid"]) for e in shifts}) == len(shifts)

    lead = events(feed(admin, "tertiary"))  # one person all year: still one event per weekly shift
    assert len(lead) == 11
    assert str(lead[0]["summary"]) == "3차 온콜 (Tertiary, 팀 리드) — SRE Team Lead (@game-sre-lead)"

    minsu = events(feed(admin, "person", "minsu"))  # primary and secondary, never both at once
    assert {str(e["summary"]).split(" — ")[0] for e in minsu} == {"1차 온콜 (Primary)", "2차 온콜 (Secondary)"}
    assert all(str(e["summary"]).endswith("— Kim Minsu") for e in minsu)


def test_a_feed_opens_with_its_own_key_only(gateway, admin):
    links = admin.get("/api/oncall/feeds", params={"person": "minsu"}).json()
    assert links["person"]["name"] == "Kim Minsu"
    minsu_url, primary_url = links["person"]["url"], links["tiers"][0]["url"]
    path, _, key = minsu_url.removeprefix(gateway.url).partition("?key=")
    assert path == "/oncall/minsu.ics" and len(key) == 32

    missing = httpx.get(gateway.url + path)
    assert missing.status_code == 401 and "needs its key" in missing.json()["detail"]
    wrong = httpx.get(gateway.url + path, params={"key": "0" * 32})
    assert wrong.status_code == 403 and wrong.json()["detail"].startswith("wrong key for this feed")
    anothers = httpx.get(gateway.url + "/oncall/jiyoung.ics", params={"key": key})  # minsu's key, jiyoung's feed
    assert anothers.status_code == 403
    tiers = httpx.get(gateway.url + "/oncall/tier/secondary.ics", params={"key": primary_url.partition("?key=")[2]})
    assert tiers.status_code == 403
    assert httpx.get(gateway.url + "/oncall/tier/tier9.ics", params={"key": key}).status_code == 404

    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {personal_token(gateway, 'minsu')}"},
                      timeout=30) as minsu:  # a person is given their own feed by default
        own = minsu.get("/api/oncall/feeds").json()
        assert own["person"] == {"tier": None, "person": "minsu", "name": "Kim Minsu", "url": minsu_url}


def test_feeds_are_off_without_the_secret(tmp_path):
    with oncall_gateway(tmp_path, feed_secret=None) as gateway, gateway_http(gateway) as admin:
        off = admin.get("/api/oncall/feeds")
        assert off.status_code == 404 and "INCIDENTFLOW_ONCALL_FEED_SECRET" in off.json()["detail"]
        assert httpx.get(gateway.url + "/oncall/minsu.ics", params={"key": "x"}).status_code == 404


def gateway_http(gateway) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


def test_overrides_take_an_admin_and_the_cli_rules(gateway, admin):
    monday = datetime.fromisoformat(admin.get("/api/oncall/calendar").json()["start"]) + timedelta(weeks=1)
    body = {"tier": "secondary", "person": "seoyeon", "start": (monday + timedelta(hours=12)).isoformat(),
            "end": (monday + timedelta(hours=36)).isoformat(), "reason": "병원 (hospital)"}
    with httpx.Client(base_url=gateway.url, timeout=30,
                      headers={"Authorization": f"Bearer {personal_token(gateway, COMMANDER)}"}) as commander:
        refused = commander.post("/api/oncall/overrides", json=body)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "cto is a commander: overrides needs admin"}
        assert commander.get("/api/oncall/overrides").status_code == 200  # reading is anyone's
    refusals = admin.get("/api/audit", params={"refused": "true"}).json()
    assert ("cto", "overrides", False, "cto is a commander: overrides needs admin") in [
        (e["actor"], e["action"], e["allowed"], e["reason"]) for e in refusals]

    untrained = admin.post("/api/oncall/overrides", json={**body, "person": "minsu"})
    assert untrained.status_code == 403
    assert untrained.json()["detail"].startswith("minsu (Kim Minsu) may not go on call yet: ")
    assert "training.untrained_oncall = refuse" in untrained.json()["detail"]

    for change, field, says in [
        ({"end": body["start"]}, "end", "must be after the start"),
        ({"person": "mallory"}, "person", "'mallory' is not listed under people"),
        ({"tier": "quaternary"}, "tier", "Input should be"),
        ({"reason": ""}, "reason", "at least 1 character"),
        ({"start": "next monday"}, "start", "valid datetime"),
    ]:
        wrong = admin.post("/api/oncall/overrides", json={**body, **change})
        assert wrong.status_code == 422, (change, wrong.text)
        assert [e["field"] for e in wrong.json()["errors"]] == [field], wrong.text
        assert says in wrong.json()["errors"][0]["message"], wrong.text
    assert admin.get("/api/oncall/overrides").json() == []

    stored = admin.post("/api/oncall/overrides", json=body)
    assert stored.status_code == 201
    assert [o["id"] for o in admin.get("/api/oncall/overrides").json()] == [stored.json()["id"]]


def test_a_swap_exchanges_two_shifts_as_two_overrides(gateway, admin):
    calendar = admin.get("/api/oncall/calendar", params={"weeks": 4}).json()
    primary = [s for s in calendar["tiers"][0]["shifts"] if s["who"] in ("jiyoung", "hyunwoo", "seoyeon")
               and datetime.fromisoformat(s["start"]) > datetime.now(UTC)]
    one, other = primary[0], primary[1]
    inside = datetime.fromisoformat(one["start"]) + timedelta(days=2)  # any moment of the shift
    swapped = admin.post("/api/oncall/swaps", json={"tier": "primary", "first": inside.isoformat(),
                                                    "second": other["start"], "reason": "가족 행사"})
    assert swapped.status_code == 201, swapped.text
    pair = swapped.json()["overrides"]
    assert [(o["person"], o["start"], o["end"]) for o in pair] == [
        (other["who"], one["start"].replace("+00:00", "Z"), one["end"].replace("+00:00", "Z")),
        (one["who"], other["start"].replace("+00:00", "Z"), other["end"].replace("+00:00", "Z"))]
    assert pair[0]["reason"] == f"swap {one['who']} ↔ {other['who']}: 가족 행사"

    after = {s["start"]: s for s in admin.get("/api/oncall/calendar").json()["tiers"][0]["shifts"]}
    assert (after[one["start"]]["who"], after[one["start"]]["source"]) == (other["who"], "override")
    assert after[other["start"]]["who"] == one["who"]

    same = admin.post("/api/oncall/swaps", json={"tier": "primary", "first": one["start"],
                                                 "second": inside.isoformat()})
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "second"
    assert "holds both" in same.json()["errors"][0]["message"]


def console(gateway, person: str) -> tuple[httpx.Client, str]:
    """A browser's session on the console (the development login) and the page's CSRF token."""
    browser = httpx.Client(base_url=gateway.url, timeout=30)
    assert browser.post("/auth/dev-login", data={"person": person, "next": "/oncall"}).status_code == 303
    return browser, browser.get("/auth/me").json()["csrf_token"]


def error_of(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error" role="alert">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


def test_the_console_forms_need_the_csrf_token_an_admin_and_name_the_field_they_refuse(gateway, admin):
    monday = datetime.fromisoformat(admin.get("/api/oncall/calendar").json()["start"]).astimezone(SEOUL)
    form = {"tier": "primary", "person": "minsu", "start": (monday + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M"),
            "end": (monday + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"), "reason": "교대 (swap)"}
    browser, csrf = console(gateway, "sre-lead")
    try:
        forged = browser.post("/oncall/overrides", data=form)  # no token: nothing is read, nothing changes
        assert forged.status_code == 403 and "no valid CSRF token" in forged.text
        assert browser.post("/oncall/swap", data={"csrf_token": "0" * 64}).status_code == 403

        untrained = browser.post("/oncall/overrides", data={**form, "csrf_token": csrf})
        assert untrained.status_code == 403
        assert error_of(untrained.text, "ov-person").startswith("Refused: minsu (Kim Minsu) may not go on call yet")
        assert 'value="교대 (swap)"' in untrained.text  # what was typed is kept

        empty = browser.post("/oncall/overrides", data={**form, "person": "hyunwoo", "reason": " ", "end": "",
                                                         "csrf_token": csrf})
        assert empty.status_code == 422
        assert error_of(empty.text, "ov-end") == "required: it cannot be empty"
        assert error_of(empty.text, "ov-reason") == "required: it cannot be empty"

        shifts = {t["tier"]: t["shifts"] for t in admin.get("/api/oncall/calendar").json()["tiers"]}
        other_tier = browser.post("/oncall/swap", data={
            "first": f"primary@{shifts['primary'][-1]['start']}",
            "second": f"secondary@{shifts['secondary'][-1]['start']}", "csrf_token": csrf})
        assert other_tier.status_code == 422
        assert error_of(other_tier.text, "sw-second") == "pick a shift of the same tier as the first (primary)"
        assert admin.get("/api/oncall/overrides").json() == []

        created = browser.post("/oncall/overrides", data={**form, "person": "hyunwoo", "csrf_token": csrf})
        assert created.status_code == 303 and created.headers["location"] == "/oncall?done=created"
        [stored] = admin.get("/api/oncall/overrides").json()
        assert (stored["person"], stored["created_by"]) == ("hyunwoo", "sre-lead")
        assert datetime.fromisoformat(stored["start"]) == monday + timedelta(days=9)
    finally:
        browser.close()

    commander, commander_csrf = console(gateway, COMMANDER)
    try:
        page = commander.get("/oncall").text
        assert "Overrides: cto is a commander: overrides needs admin" in page and 'id="form-create"' not in page
        refused = commander.post(f"/oncall/overrides/{stored['id']}/remove", data={"csrf_token": commander_csrf})
        assert refused.status_code == 403 and "Not allowed: cto is a commander: overrides needs admin" in refused.text
    finally:
        commander.close()
    assert [o["id"] for o in admin.get("/api/oncall/overrides").json()] == [stored["id"]]


def test_every_on_call_action_is_in_the_openapi(gateway, admin):
    paths = admin.get("/openapi.json").json()["paths"]
    for path, method in [("/api/oncall", "get"), ("/api/oncall/calendar", "get"), ("/api/oncall/overrides", "get"),
                         ("/api/oncall/overrides", "post"), ("/api/oncall/overrides/{override_id}", "delete"),
                         ("/api/oncall/swaps", "post"), ("/api/oncall/feeds", "get"),
                         ("/oncall/{person}.ics", "get"), ("/oncall/tier/{tier}.ics", "get")]:
        assert paths[path][method]["summary"], (path, method)
    assert {"403", "422"} <= set(paths["/api/oncall/overrides"]["post"]["responses"])
    assert "/oncall" not in paths  # the console's page is not part of the API
