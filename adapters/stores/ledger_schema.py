"""The ledger's tables as they are now (after every migration in `ledger_migrations`).

Migrations never import these objects: each migration spells out its own DDL, so an old step keeps doing
exactly what it did when it was written. `tests/unit/adapters/test_ledger.py` checks that migrating an empty database
yields exactly these columns."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timestamps go in as UTC and come out timezone-aware (SQLite forgets the zone; PostgreSQL keeps it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ledger stores UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

incidents = sa.Table(
    "incidents", metadata,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("service", sa.String(120), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("alertname", sa.String(200)),
    sa.Column("fingerprints", sa.JSON, nullable=False),
    sa.Column("phase", sa.String(20), nullable=False),
    sa.Column("drill", sa.Boolean, nullable=False),
    sa.Column("declared_by", sa.String(80), nullable=False),
    sa.Column("ic", sa.String(80)),
    sa.Column("impact", sa.Text),
    sa.Column("summary", sa.Text),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("detected_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime),
    sa.Column("mitigated_at", UTCDateTime),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("root_cause_category", sa.String(80)),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # v2
    sa.Column("recurrence_of", sa.String(120)),
)

incident_events = sa.Table(
    "incident_events", metadata,
    sa.Column("incident_id", sa.String(120), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("event_id", sa.String(200), primary_key=True),
    sa.Column("phase", sa.String(20), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

timeline_entries = sa.Table(
    "timeline_entries", metadata,
    sa.Column("incident_id", sa.String(120), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

pages = sa.Table(
    "pages", metadata,
    sa.Column("incident_id", sa.String(120), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("target", sa.String(80)),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

postmortems = sa.Table(
    "postmortems", metadata,
    sa.Column("incident_id", sa.String(120), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("owner", sa.String(80)),
    sa.Column("deadline", UTCDateTime, nullable=False),
    sa.Column("drafted_at", UTCDateTime, nullable=False),
    sa.Column("path", sa.Text),
    sa.Column("markdown", sa.Text, nullable=False),
    sa.Column("published_at", UTCDateTime),
    sa.Column("published_by", sa.String(80)),
    # v2
    sa.Column("missed_notified_at", UTCDateTime),
    sa.Column("reminders_sent", sa.Integer, nullable=False, server_default="0"),
    # v11: drafts edited in the ledger
    sa.Column("draft_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("updated_at", UTCDateTime),
    sa.Column("updated_by", sa.String(200)),
    sa.Column("exported_sha256", sa.String(64)),
)

action_items = sa.Table(
    "action_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(120), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("owner", sa.String(80), nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("term", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("done_at", UTCDateTime),
    sa.Column("done_by", sa.String(80)),
    # v2
    sa.Column("last_reminded_at", UTCDateTime),
    sa.Column("reminders_sent", sa.Integer, nullable=False, server_default="0"),
    # v9
    sa.Column("verified_at", UTCDateTime),
    sa.Column("verified_by", sa.String(80)),
    sa.Column("evidence", sa.Text),
)

# v3: on-call overrides (issue 5), formerly `overrides.json` in the data dir
oncall_overrides = sa.Table(
    "oncall_overrides", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("who", sa.String(80), nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(80)),
)

# v4: the gateway's outbox (issue 10, docs/gateway.md): accepted notifications not yet handed to Temporal
gateway_outbox = sa.Table(
    "gateway_outbox", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("queued_at", UTCDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(120)),
    sa.Column("claimed_until", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_gateway_outbox_key_id", "key", "id"),
)

# v5: the audit log (issue 23, docs/security.md): every allowed or refused action; no foreign key, since a
# refused action may name an incident the ledger has not seen
audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("principal", sa.String(20), nullable=False),
    sa.Column("principal_name", sa.String(120)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("incident_id", sa.String(120)),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_incident_at", "incident_id", "at"),
)

# v6: API tokens (issue 23, docs/security.md, "Tokens"): personal, service and admin; only a hash of the secret
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("person", sa.String(80)),
    sa.Column("role", sa.String(20)),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("last_used_at", UTCDateTime),
)

# v7: browser sessions (issue 23, docs/security.md, "Logging in"): only a hash of the cookie's random id
browser_sessions = sa.Table(
    "browser_sessions", metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("person", sa.String(80), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("via", sa.String(20), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_browser_sessions_expires_at", "expires_at"),
)

# v8: training completions (issue 25, docs/oncall.md, "Training"): onboarding, quarterly, advanced, drills
training_records = sa.Table(
    "training_records", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("person", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=False),
    sa.Column("hours", sa.Float, nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("role", sa.String(80)),
    sa.Column("evaluation", sa.Text),
    sa.Column("scorecard", sa.JSON),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Index("ix_training_records_person_completed_at", "person", "completed_at"),
)

# v10: periodic checks done (docs/learning-loop.md, "Periodic checks"): one completion per check and period
periodic_checks = sa.Table(
    "periodic_checks", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("item", sa.String(40), nullable=False),
    sa.Column("period", sa.String(10), nullable=False),
    sa.Column("completed_at", UTCDateTime, nullable=False),
    sa.Column("completed_by", sa.String(200), nullable=False),
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("item", "period", name="uq_periodic_checks_item_period"),
)
