"""`incident oncall now|schedule|override|overrides|remove-override|check|report` and `incident schedules sync`:
parsing and tables; what they read and change is service/oncall.py and service/schedules.py."""

import sys
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from cli import oncall_compensation_cmd
from cli.common import console, fail, print_json, run
from cli.plain_text import plain_text as plain
from cli.remote_config import remote_target, stack_only
from domain.common.text import terminal_text
from domain.incident.severity import Tier
from service.errors import ServiceError

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _policy():
    """The policy as configured (domain.policy.model.Policy); an invalid one ends the command (exit 2)."""
    from adapters.policy_files import PolicyError, load_policy
    from settings import get_settings

    try:
        return load_policy(get_settings().policy_dir)
    except PolicyError as exc:
        fail("the policy is invalid (see `incident policy check`):\n" + str(exc), 2)


def _store():
    from adapters.stores.overrides import OverrideStore
    from settings import get_settings

    return OverrideStore(get_settings().data_dir)


def _overrides() -> list:
    from adapters.stores.overrides import OverrideStoreError
    from service import oncall as oncall_service

    try:
        return oncall_service.stored_overrides(_store())
    except OverrideStoreError as exc:
        fail(str(exc))


def parse_moment(text: str, zone: str, option: str) -> datetime:
    """ISO 8601; without an offset the time is read in the rotation's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r}: not an ISO time; use e.g. 2026-12-01T03:00+09:00", 2)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def _tier(text: str) -> Tier:
    try:
        return Tier(text.strip().lower())
    except ValueError:
        fail(f"--tier {text!r}: use {', '.join(t.value for t in Tier)}", 2)


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %a %H:%M")


def register(app: typer.Typer) -> None:
    oncall = typer.Typer(help="Who is on call: rotation, overrides, checks, the weekly report",
                         no_args_is_help=True)
    app.add_typer(oncall, name="oncall")
    oncall_compensation_cmd.register(oncall)
    schedules = typer.Typer(help="The bots' Temporal Schedules (handover, on-call report)", no_args_is_help=True)
    app.add_typer(schedules, name="schedules")

    @oncall.command()
    def now(
        at: Annotated[str | None, typer.Option("--at", help="Any moment, ISO 8601, e.g. 2026-12-01T03:00+09:00")]
        = None,
        as_json: Json = False,
    ) -> None:
        """Who holds each tier right now (or --at a moment)."""
        remote = remote_target()
        if remote is not None:
            from cli.oncall_remote import now_remotely

            view = now_remotely(remote, at)
            moment, zone = view["at"], view["timezone"]
        else:
            from service import oncall as oncall_service

            policy = _policy()
            zone = policy.oncall.rotation.timezone
            moment = parse_moment(at, zone, "--at") if at else datetime.now(UTC)
            view = oncall_service.on_call_now(policy, moment, _overrides())
        if as_json:
            print_json(view)
            return
        table = Table(title=f"On call at {_local(moment, zone)} ({zone})")
        for column in ("tier", "who", "since", "until", "contact", "note"):
            table.add_column(column)
        for row in view["tiers"]:
            # names, contacts and override reasons: shown as written (plain), never read as markup
            who = plain(f"{row['name']} ({row['who']})") if row["who"] else "[bold red]nobody — pages go up a tier"
            contact = plain(", ".join(c for c in (row["slack_id"], row["email"], row["phone"]) if c))
            since = _local(row["since"], zone) if row["since"] else "-"
            until = _local(row["until"], zone) if row["until"] else "-"
            table.add_row(row["tier"], who, since, until, contact,
                          plain(f"override: {row['override']}") if row["override"] else "")
        console.print(table)

    @oncall.command()
    def schedule(
        weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="How many weeks to show")] = 4,
        tier: Annotated[str | None, typer.Option("--tier", help="Only this tier")] = None,
        start: Annotated[str | None, typer.Option("--from", help="Start (ISO); default: the current shift")] = None,
        as_json: Json = False,
    ) -> None:
        """Who holds what when, from the current shift on, overrides included."""
        tiers = [_tier(tier)] if tier else None
        remote = remote_target()
        if remote is not None:  # the gateway's calendar starts at midnight of this week's handover day
            from cli.oncall_remote import schedule_remotely

            begin, zone, rows, names = schedule_remotely(remote, weeks, start, tiers)
            name_of = names.get
        else:
            from domain.oncall.rotation import last_handover
            from service import oncall as oncall_service

            policy = _policy()
            zone = policy.oncall.rotation.timezone
            begin = parse_moment(start, zone, "--from") if start else last_handover(policy.oncall.rotation,
                                                                                     datetime.now(UTC))
            rows = oncall_service.shifts(policy, begin, weeks, _overrides(), tiers)
            name_of = policy.person_name
        if as_json:
            print_json([{**r.model_dump(mode="json"), "name": name_of(r.who)} for r in rows])
            return
        table = Table(title=f"On-call schedule, {weeks} week(s) from {_local(begin, zone)} ({zone})")
        for column in ("tier", "from", "to", "who", "note"):
            table.add_column(column)
        for r in rows:
            who = plain(f"{name_of(r.who)} ({r.who})") if r.who else "[bold red]nobody (gap)"
            table.add_row(r.tier.value, _local(r.start, zone), _local(r.end, zone), who,
                          plain(f"override: {r.override}") if r.override else "")
        console.print(table)

    @oncall.command()
    def override(
        tier: Annotated[str, typer.Option("--tier", help="primary | secondary | tertiary | executive")],
        who: Annotated[str, typer.Option("--who", help="Handle from the policy's people")],
        start: Annotated[str, typer.Option("--from", help="ISO start, e.g. 2026-12-01T09:00+09:00")],
        end: Annotated[str, typer.Option("--to", help="ISO end (exclusive)")],
        reason: Annotated[str, typer.Option("--reason", help="Vacation, swap, …")],
        by: Annotated[str | None, typer.Option("--by", help="Who records the override")] = None,
    ) -> None:
        """Put someone on call for a tier between two moments (vacations, swaps). Stored durably; running
        incidents page the override holder from then on."""
        remote = remote_target()
        if remote is not None:
            from cli.oncall_remote import override_remotely

            override_remotely(remote, _tier(tier), who.strip(), start, end, reason.strip())
            return
        from adapters.stores.overrides import OverrideStoreError
        from domain.oncall.rotation import Override
        from service import oncall as oncall_service

        policy = _policy()
        zone = policy.oncall.rotation.timezone
        parsed_tier = _tier(tier)
        who = who.strip()
        if who not in policy.oncall.people:
            fail(f"--who {who!r}: not listed under people in the on-call policy "
                 f"(known: {', '.join(policy.oncall.people)})", 2)
        if not reason.strip():
            fail("--reason must not be empty", 2)
        begin, finish = parse_moment(start, zone, "--from"), parse_moment(end, zone, "--to")
        if finish <= begin:
            fail(f"--to {end!r} must be after --from {start!r}", 2)
        try:
            wanted = Override(tier=parsed_tier, who=who, start=begin, end=finish, reason=reason.strip())
            stored = oncall_service.add_override(_store(), wanted, created_by=by, policy=policy,
                                                 warn=lambda text: print(terminal_text(text), file=sys.stderr))
        except (OverrideStoreError, ServiceError) as exc:
            fail(str(exc))
        print(terminal_text(f"{stored.id}: {parsed_tier.value} is held by {policy.person_name(who)} ({who}) "
                            f"{_local(begin, zone)} → {_local(finish, zone)} ({zone}): {stored.reason}"))
        if finish < datetime.now(UTC):
            print("note: this override lies entirely in the past; it changes reports, not pages")

    @oncall.command("overrides")
    def list_overrides(as_json: Json = False) -> None:
        """Stored overrides, with their ids."""
        remote = remote_target()
        if remote is not None:
            from cli.oncall_remote import overrides_remotely

            overrides_remotely(remote, as_json)
            return
        from adapters.stores.overrides import OverrideStoreError
        from service import oncall as oncall_service

        policy = _policy()
        zone = policy.oncall.rotation.timezone
        stored = _store()
        try:
            items = oncall_service.stored_overrides(stored)
        except OverrideStoreError as exc:
            fail(str(exc))
        if as_json:
            print_json([o.model_dump(mode="json", by_alias=True) for o in items])
            return
        if not items:
            print(f"No overrides ({stored.location}).")
            return
        for o in items:
            print(terminal_text(f"{o.id}  {o.tier.value:<9} {policy.person_name(o.who)} ({o.who})  "
                                f"{_local(o.start, zone)} → {_local(o.end, zone)}  {o.reason}"))

    @oncall.command("remove-override")
    def remove_override(override_id: Annotated[str, typer.Argument(help="Id printed by `incident oncall overrides`")]
                        ) -> None:
        """Delete a stored override."""
        remote = remote_target()
        if remote is not None:
            from cli.remote_admin import remove_override as remove_remotely

            removed = remove_remotely(remote, override_id)
            print(terminal_text(f"removed {removed.id} ({removed.tier.value} {removed.person})"))
            return
        from adapters.stores.overrides import OverrideStoreError
        from service import oncall as oncall_service

        try:
            removed = oncall_service.remove_override(_store(), override_id)
        except OverrideStoreError as exc:
            fail(str(exc))
        print(terminal_text(f"removed {removed.id} ({removed.tier.value} {removed.who})"))

    @oncall.command("check")
    def check_command(
        weeks: Annotated[int, typer.Option("--weeks", min=1, max=104, help="How far ahead to look")] = 8,
        as_json: Json = False,
    ) -> None:
        """Gaps (a tier nobody holds), people on call nobody can reach, and rotation members without onboarding.
        Exit 1 when any."""
        stack_only("oncall check")
        from adapters.stores.overrides import OverrideStoreError
        from service import oncall as oncall_service

        policy = _policy()
        now_ = datetime.now(UTC)
        problems = oncall_service.coverage_problems(policy, now_, weeks, _overrides())
        try:
            problems += oncall_service.untrained_problems(_store(), policy)
        except OverrideStoreError as exc:
            fail(str(exc))
        if as_json:
            print_json([p.model_dump(mode="json") for p in problems])
        elif problems:
            for p in problems:
                print(terminal_text(p.text))
        else:
            print(f"ok: every tier is covered for the next {weeks} week(s), everyone on call has a contact and "
                  "everyone in the rotation completed onboarding")
        if problems:
            raise typer.Exit(1)

    @oncall.command()
    def report(
        week: Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W47; default: this week")]
        = None,
        as_json: Json = False,
    ) -> None:
        """Pages per responder, acknowledgement times, off-hours pages, unanswered escalations, tier load."""
        stack_only("oncall report")
        from cli.common import connect
        from domain.oncall.report import WeekError, parse_week, render_report, week_of
        from service import oncall as oncall_service

        policy = _policy()
        zone = policy.oncall.rotation.timezone
        chosen = week or week_of(datetime.now(UTC), zone)
        try:
            parse_week(chosen)
        except WeekError as exc:
            fail(f"--week: {exc}", 2)

        async def body():
            return await oncall_service.oncall_report(await connect(), policy, chosen)

        result = run(body)
        if as_json:
            print_json(result.model_dump(mode="json"))
        else:
            print(terminal_text(render_report(result), multiline=True))

    @schedules.command()
    def sync() -> None:
        """Create (or update) the handover and on-call report schedules. Safe to run any number of times."""
        stack_only("schedules sync")
        from cli.common import connect
        from service.schedules import ensure_schedules
        from settings import get_settings

        policy = _policy()
        settings = get_settings()

        async def body():
            return await ensure_schedules(await connect(), policy, settings.task_queue)

        for result in run(body):
            print(f"{result.id}: {result.action} ({result.when}, task queue {settings.task_queue})")
