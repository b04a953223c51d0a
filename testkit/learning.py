"""A hand-computed set of incidents for metrics and report tests (numbers worked out in the comments).

Period 2026-W47 = 2026-11-16 00:00 … 11-23 00:00 Asia/Seoul.
  A sev0 game-servers  started 11-16 01:00Z  detect +2m   ack +1m   resolve +20m  alert GameServerDown
  B sev0 game-servers  started 11-18 01:00Z  detect +1m   ack +3m   resolve +10m  alert GameServerDown  → recurs A
  C sev1 payments      started 11-17 03:00Z  detect +4m   (no ack)  resolve +40m  cause deploy        → recurs G
  D sev1 payments      started 11-19 05:00Z  detect +6m   ack +2m   (still open)
  E sev2 friends       started 11-20 00:00Z  detect +10m  ack +5m   resolve +60m  IC named at +1m
  F sev0 game-servers  drill on 11-18 (excluded everywhere)
  G sev1 payments      started 09-01 03:00Z (before the period) resolve +30m, cause deploy
sev0: MTTD (2+1)/2 = 1m30s (target 1m: fail), MTTA 2m, MTTR (20+10)/2 = 15m (target 15m: pass)
sev1: MTTD (4+6)/2 = 5m (pass), MTTA 2m (D only), MTTR 40m (C only; target 30m: fail)
sev2: MTTD 10m, MTTA 5m, MTTR 1h;  sev3: no incidents
MTBF gaps: game-servers B−A = 48h; payments C−G = 77d = 1848h, D−C = 50h; friends none.
  overall (48+1848+50)/3 h = 648.67h = 27.0d (target ≥ 30d: fail); payments (1848+50)/2 h = 39.5d
Recurrence: B (alert GameServerDown on game-servers), C (root-cause deploy) → 2/5 = 40% (target < 10%: fail)
"""

from datetime import UTC, datetime, timedelta

from domain.incident import decision_rules
from domain.incident import decisions as d
from domain.incident.lifecycle import new_incident
from domain.incident.records import IncidentRecord
from domain.incident.severity import Severity
from domain.incident.state import Alert, IncidentStart, IncidentState

M = timedelta(minutes=1)
PERIOD = "2026-W47"
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _incident(policy, id_, severity, service, started, detect, ack=None, resolve=None, alert=None, drill=False,
              ic_at=None) -> IncidentState:
    alerts = [Alert(fingerprint=f"fp-{id_}", labels={"alertname": alert, "service": service})] if alert else []
    start = IncidentStart(id=id_, title=f"{service} trouble {id_}", service=service, severity=severity,
                          declared_by="minsu", drill=drill, started_at=started, alerts=alerts)
    detected = started + detect
    state = new_incident(policy, start, detected)
    if ic_at is not None:
        decision_rules.apply(state, d.AssignRole(role="ic", to="jiyoung", by="jiyoung"), detected + ic_at)
    if ack is not None:
        decision_rules.apply(state, d.Acknowledge(by="jiyoung"), detected + ack)
    if resolve is not None:
        decision_rules.apply(state, d.Resolve(by="jiyoung"), detected + resolve)
    return state


def fixture_states(policy) -> dict[str, IncidentState]:
    z = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    states = [
        _incident(policy, "A", Severity.SEV0, "game-servers", z(2026, 11, 16, 1), 2 * M, M, 20 * M, "GameServerDown"),
        _incident(policy, "B", Severity.SEV0, "game-servers", z(2026, 11, 18, 1), M, 3 * M, 10 * M, "GameServerDown"),
        _incident(policy, "C", Severity.SEV1, "payments", z(2026, 11, 17, 3), 4 * M, None, 40 * M),
        _incident(policy, "D", Severity.SEV1, "payments", z(2026, 11, 19, 5), 6 * M, 2 * M),
        _incident(policy, "E", Severity.SEV2, "friends", z(2026, 11, 20, 0), 10 * M, 5 * M, 60 * M, ic_at=M),
        _incident(policy, "F", Severity.SEV0, "game-servers", z(2026, 11, 18, 2), M, M, 5 * M, "GameServerDown",
                  drill=True),
        _incident(policy, "G", Severity.SEV1, "payments", z(2026, 9, 1, 3), 3 * M, M, 30 * M),
    ]
    return {s.id: s for s in states}


ROOT_CAUSES = {"C": "deploy", "G": "deploy", "A": "capacity"}


def fixture_records(policy) -> list[IncidentRecord]:
    records = []
    for state in fixture_states(policy).values():
        record = IncidentRecord.from_state(state)
        records.append(record.model_copy(update={"root_cause_category": ROOT_CAUSES.get(state.id)}))
    return records
