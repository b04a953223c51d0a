"""The incident review (weekly / monthly): metrics against targets, postmortems, action items, compliance and
a chart, read from the ledger and written as Markdown + PNG (docs/learning-loop.md). The on-call report is
service/oncall.py."""

from datetime import datetime
from pathlib import Path
from typing import Literal

from adapters.report_files import WrittenReport, write_report
from adapters.stores.ledger import Ledger
from domain.learning.reports import Period, parse_period
from domain.policy.model import Policy

ReviewKind = Literal["weekly", "monthly"]


def review_period(policy: Policy, kind: ReviewKind, period: str | None, now: datetime) -> Period:
    """`2026-W47` or `2026-11` in the team's zone (None: the current one); ValueError names what is wrong."""
    return parse_period(kind, period, policy.incident.timezone, now)


def write_review(store: Ledger, policy: Policy, period: Period, out_dir: Path, now: datetime) -> WrittenReport:
    return write_report(store, policy, period, out_dir, now)
