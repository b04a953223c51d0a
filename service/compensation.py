"""The monthly on-call compensation report (docs/oncall.md, "Compensation"): the plan with the stored overrides,
the month's incidents from Temporal and the ledger, and the public holidays of the `holidays` package, handed to
domain/oncall/compensation.py."""

from datetime import date

import holidays as holiday_calendars
from temporalio.client import Client

from domain.oncall.compensation import CompensationReport, build_compensation, month_window
from domain.oncall.rotation import Override, plan
from domain.policy.model import Policy
from service.oncall import fetch_incident_records


def public_holidays(country: str | None, years: list[int]) -> dict[date, str]:
    """The country's public holidays (substitute holidays included) in those years; none without a country."""
    if not country:
        return {}
    try:
        return dict(holiday_calendars.country_holidays(country, years=years).items())
    except NotImplementedError:
        raise ValueError(f"working_hours.public_holidays: the holidays package knows no country {country!r}") from None


async def compensation_report(client: Client, policy: Policy, month: str,
                              overrides: list[Override]) -> CompensationReport:
    """Hours on call, pages, incidents and pay per person for `month` (MonthError when it is not one)."""
    oncall = policy.oncall
    start, end = month_window(month, oncall.rotation.timezone)
    shifts = plan(oncall, start, end, overrides, oncall.compensation.tiers)
    incidents = await fetch_incident_records(client, start, end)
    calendar = public_holidays(oncall.working_hours.public_holidays, sorted({start.year, end.year}))
    names = {key: person.name for key, person in oncall.people.items()}
    return build_compensation(oncall, month, shifts, incidents, calendar, names)
