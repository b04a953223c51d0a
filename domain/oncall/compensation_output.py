"""The compensation report as Markdown (a table per month) and CSV (one line per person, every figure and
amount), for `incident oncall compensation` and `GET /api/oncall/compensation`."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

from domain.common.markdown import markdown_text
from domain.oncall.compensation import CompensationReport, CompensationRow

PAY_COLUMNS = ("weekday off-hours hours", "weekend hours", "holiday hours", "off-hours pages", "night pages")
CSV_COLUMNS = ("month", "who", "name", "hours", "off_hours_hours", "weekend_hours", "holiday_hours", "pages",
               "off_hours_pages", "night_pages", "incidents_handled", "acknowledgements", "mtta_seconds",
               "pay_off_hours_hours", "pay_weekend_hours", "pay_holiday_hours", "pay_off_hours_pages",
               "pay_night_pages", "total", "currency")


def money(amount: Decimal) -> str:
    """Thousands separated, cents only when there are any: 125,000 or 12.50."""
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def _number(value: float) -> str:
    return f"{value:g}"


def _mtta(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _amounts(row: CompensationRow) -> dict[str, Decimal]:
    return {line.item: line.amount for line in row.pay}


def render_markdown(report: CompensationReport) -> str:
    lines = [f"# On-call compensation {report.month}", "",
             f"{report.start:%Y-%m-%d} – {report.end - timedelta(days=1):%Y-%m-%d} ({report.timezone}),"
             f" amounts in {markdown_text(report.currency)}.", ""]
    if report.holidays:
        lines += ["Public holidays: " + ", ".join(f"{d:%m-%d} {markdown_text(n)}" for d, n in report.holidays.items())
                  + ".", ""]
    if not report.rows:
        lines.append("Nobody was on call or paged this month.")
        return "\n".join(lines) + "\n"
    lines += ["| Person | Hours | Off-hours h | Weekend h | Holiday h | Pages | Off-hours pages | Night pages "
              "| Incidents | MTTA | " + " | ".join(f"Pay: {c}" for c in PAY_COLUMNS) + " | Total |",
              "|" + "---|" * 1 + "---:|" * (10 + len(PAY_COLUMNS))]
    for r in report.rows:
        amounts = _amounts(r)
        cells = [f"{markdown_text(r.name)} ({markdown_text(r.who)})", _number(r.hours), _number(r.off_hours_hours),
                 _number(r.weekend_hours), _number(r.holiday_hours), str(r.pages), str(r.off_hours_pages),
                 str(r.night_pages), str(r.incidents_handled), _mtta(r.mtta_seconds),
                 *(money(amounts[c]) for c in PAY_COLUMNS), f"**{money(r.total)}**"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Total: **{money(report.total)} {markdown_text(report.currency)}**."]
    rates = report.rows[0].pay
    lines.append("Rates: " + ", ".join(f"{money(line.rate)} per {line.item.removesuffix('s')}" for line in rates)
                 + " (each hour paid once: holiday > weekend > weekday off-hours; each page once: night > off-hours).")
    return "\n".join(lines) + "\n"


def render_csv(report: CompensationReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.rows:
        amounts = _amounts(r)
        writer.writerow([report.month, r.who, r.name, _number(r.hours), _number(r.off_hours_hours),
                         _number(r.weekend_hours), _number(r.holiday_hours), r.pages, r.off_hours_pages,
                         r.night_pages, r.incidents_handled, r.acknowledgements,
                         "" if r.mtta_seconds is None else _number(r.mtta_seconds),
                         *(f"{amounts[c]:f}" for c in PAY_COLUMNS), f"{r.total:f}", report.currency])
    return out.getvalue()
