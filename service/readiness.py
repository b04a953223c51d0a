"""`incident readiness` and `GET /api/readiness` (docs/oncall.md, "Readiness"): gather the facts live (the policy
and runbook files, the overrides and training records in the ledger, one probe per tool, concurrently) and let
domain/oncall/readiness.py judge them."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.policy_files import PolicyError, load_policy
from adapters.probes import http_get, slack_auth_test
from adapters.runbook_files import load_runbooks
from domain.oncall.readiness import (
    ProbeResult,
    ReadinessFacts,
    ReadinessReport,
    escalation_problems,
    evaluate,
    template_problems,
)
from domain.oncall.rotation import check
from domain.oncall.training import drills_this_quarter, quarter_label, untrained_members
from domain.policy.model import Policy
from domain.policy.oncall_policy import Readiness
from settings import Settings

log = logging.getLogger(__name__)


async def readiness(settings: Settings, now: datetime | None = None) -> ReadinessReport:
    now = now or datetime.now(UTC)
    try:
        policy: Policy | None = load_policy(settings.policy_dir)
        policy_problems: list[str] = []
    except PolicyError as exc:
        policy, policy_problems = None, list(exc.problems)
    rules = policy.oncall.readiness if policy else Readiness()
    facts = ReadinessFacts(at=now, weeks_ahead=rules.weeks_ahead, policy_problems=policy_problems,
                           runbook_problems=load_runbooks(settings.runbook_dir).problems)
    probes = asyncio.gather(*_probes(settings, policy, rules.probe_timeout.total_seconds()))
    if policy is not None:
        await asyncio.to_thread(_ledger_facts, facts, settings, policy, now)
        facts.escalation_problems = escalation_problems(policy)
        facts.template_problems = template_problems(policy, _postmortem_template(settings.policy_dir, policy))
    facts.probes = list(await probes)
    return evaluate(facts)


def _ledger_facts(facts: ReadinessFacts, settings: Settings, policy: Policy, now: datetime) -> None:
    """Coverage (overrides included), onboarding and this quarter's drills, from the ledger."""
    from adapters.stores.ledger import open_ledger
    from adapters.stores.ledger_engine import default_url
    from adapters.stores.overrides import OverrideStore
    from service.training import records

    url = settings.database_url or default_url(settings.data_dir)
    facts.quarter = quarter_label(now, policy.oncall.rotation.timezone)
    try:
        overrides = OverrideStore(settings.data_dir, url=url).load()
    except Exception as exc:
        log.warning("readiness: no overrides (%s)", exc)
        overrides = []
    facts.coverage = check(policy.oncall, now, now + timedelta(weeks=facts.weeks_ahead), overrides)
    try:
        done = records(open_ledger(url))
    except Exception as exc:  # an unreachable ledger fails the items that need it, with the reason
        facts.training_error = f"the training ledger could not be read: {type(exc).__name__}: {exc}"
        return
    facts.untrained = untrained_members(policy.oncall, done)
    facts.drills = drills_this_quarter(done, now, policy.oncall.rotation.timezone)


def _postmortem_template(policy_dir: Path, policy: Policy) -> str | None:
    path = Path(policy_dir) / policy.incident.learning.postmortem.template
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _probes(settings: Settings, policy: Policy | None, timeout: float) -> list:
    """One coroutine per tool, each answering a ProbeResult."""
    probes = []
    if settings.slack_bot_token is not None:
        probes.append(slack_auth_test(settings.slack_api_url, settings.slack_bot_token.get_secret_value(), timeout))
    else:
        probes.append(_result(ProbeResult(tool="slack", configured=False,
                                          detail="not configured (INCIDENTFLOW_SLACK_BOT_TOKEN unset)")))
    personal = policy is not None and any(p.pagerduty_routing_key_env for p in policy.oncall.people.values())
    if settings.pagerduty_routing_key is not None or personal:
        probes.append(http_get("pagerduty", settings.pagerduty_events_url, timeout))
    else:
        probes.append(_result(ProbeResult(tool="pagerduty", configured=False,
                                          detail="not configured (no INCIDENTFLOW_PAGERDUTY_ROUTING_KEY nor "
                                                 "personal routing keys)")))
    if settings.statuspage_page_id and settings.statuspage_api_key is not None:
        url = f"{settings.statuspage_api_url.rstrip('/')}/pages/{settings.statuspage_page_id}"
        headers = {"Authorization": f"OAuth {settings.statuspage_api_key.get_secret_value()}"}
        probes.append(http_get("statuspage", url, timeout, headers=headers, ok_below=400))
    else:
        probes.append(_result(ProbeResult(tool="statuspage", configured=False, required=False,
                                          detail="not configured (optional: the built-in /status page is used)")))
    for name, base in sorted(settings.runbook_endpoints.items()):
        probes.append(http_get(f"runbook endpoint {name}", base, timeout))
    return probes


async def _result(result: ProbeResult) -> ProbeResult:
    return result
