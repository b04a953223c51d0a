"""Judging a scenario's expectations against its scorecard: pages and escalations (exactly those, in time order,
within a tolerance), metric limits, final phase and severity, late checklist items, runbook outcomes."""

from datetime import timedelta

from domain.common.durations import format_duration
from domain.drills.scenario import Expectations
from domain.drills.scorecard import ExpectationResult, Scorecard


def _fmt(seconds: float | None) -> str:
    return "never" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def evaluate(expect: Expectations, card: Scorecard, tolerance: timedelta | None = None) -> list[ExpectationResult]:
    """Judge every expectation against the scorecard; `tolerance` overrides the scenario's (live drills)."""
    slack = max((tolerance or timedelta(0)), expect.tolerance).total_seconds()
    results: list[ExpectationResult] = []

    def close(actual: float, expected: timedelta) -> bool:
        return abs(actual - expected.total_seconds()) <= slack

    if expect.pages is not None:
        remaining = list(card.pages)
        for want in expect.pages:
            label = f"{want.tier.value}{f' {want.target}' if want.target else ''} at {_fmt(want.at.total_seconds())}"
            match = next((p for p in remaining if p.tier == want.tier and close(p.at_seconds, want.at)
                          and (want.target is None or p.target == want.target)), None)
            if match is not None:
                remaining.remove(match)
                actual = f"{match.tier.value} {match.target} at {_fmt(match.at_seconds)}"
            else:
                same_tier = [p for p in card.pages if p.tier == want.tier]
                actual = ", ".join(f"{p.tier.value} {p.target} at {_fmt(p.at_seconds)}" for p in same_tier) or \
                    f"{want.tier.value} never paged"
            results.append(ExpectationResult(what="page", expected=label, actual=actual, passed=match is not None))
        results.append(ExpectationResult(
            what="no other pages", expected="none",
            actual=", ".join(f"{p.tier.value} {p.target} at {_fmt(p.at_seconds)}" for p in remaining) or "none",
            passed=not remaining))

    if expect.escalations is not None:
        remaining_e = list(card.escalations)
        for want in expect.escalations:
            label = f"{want.rule} at {_fmt(want.at.total_seconds())}" + (
                "" if want.paged is None else (" (paged)" if want.paged else " (tier already engaged)"))
            match = next((e for e in remaining_e if e.rule == want.rule and close(e.at_seconds, want.at)
                          and (want.paged is None or e.paged == want.paged)), None)
            if match is not None:
                remaining_e.remove(match)
            same = [e for e in card.escalations if e.rule == want.rule]
            actual = ", ".join(f"{e.rule} at {_fmt(e.at_seconds)}{'' if e.paged else ' (already engaged)'}"
                               for e in ([match] if match else same)) or f"{want.rule} never fired"
            results.append(ExpectationResult(what="escalation", expected=label, actual=actual,
                                             passed=match is not None))
        results.append(ExpectationResult(
            what="no other escalations", expected="none",
            actual=", ".join(f"{e.rule} at {_fmt(e.at_seconds)}" for e in remaining_e) or "none",
            passed=not remaining_e))

    for what, limit, actual in (("mtta", expect.max_mtta, card.mtta_seconds),
                                ("mttm", expect.max_mttm, card.mttm_seconds),
                                ("mttr", expect.max_mttr, card.mttr_seconds)):
        if limit is not None:
            passed = actual is not None and actual <= limit.total_seconds() + slack
            results.append(ExpectationResult(what=what, expected=f"≤ {format_duration(limit)}",
                                             actual=_fmt(actual), passed=passed))
    if expect.final_phase is not None:
        results.append(ExpectationResult(what="final phase", expected=expect.final_phase.value,
                                         actual=card.final_phase.value, passed=card.final_phase == expect.final_phase))
    if expect.final_severity is not None:
        results.append(ExpectationResult(what="final severity", expected=expect.final_severity.value,
                                         actual=card.severity.value, passed=card.severity == expect.final_severity))
    if expect.late_checklist is not None:
        late = sorted(c.item for c in card.checklist if c.late)
        want = sorted(expect.late_checklist)
        results.append(ExpectationResult(what="late checklist items", expected=", ".join(want) or "none",
                                         actual=", ".join(late) or "none", passed=late == want))
    if expect.runbooks is not None:
        for name, status in expect.runbooks.items():
            runs = [r for r in card.runbooks if r.runbook == name]
            actual = runs[-1].status if runs else "never ran"
            results.append(ExpectationResult(what=f"runbook {name}", expected=status, actual=actual,
                                             passed=actual == status))
    return results
