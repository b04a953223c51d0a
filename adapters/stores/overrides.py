"""The durable store of on-call overrides: the `oncall_overrides` table of the incident ledger (SQLite in
the data dir by default, PostgreSQL when `INCIDENTFLOW_DATABASE_URL` says so).

Written by `incident oncall override`, read by the worker at every page (so running incidents see a new
override at once) and by the handover bot. Each write is one transaction, so a reader never sees half an
override and two writers never lose each other's.

Before ledger version 3 overrides lived in `<data dir>/overrides.json`. The first store that opens the
ledger while that file exists imports it (ids kept, an id already stored is skipped) and renames it to
`overrides.json.imported`; a damaged file is left where it is and named in the error.
"""

import fcntl
import logging
import secrets
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pydantic import Field, TypeAdapter, ValidationError

from domain.oncall.rotation import Override

LEGACY_FILE = "overrides.json"
IMPORTED_SUFFIX = ".imported"
log = logging.getLogger(__name__)


class StoredOverride(Override):
    id: str = Field(default_factory=lambda: f"ovr-{secrets.token_hex(3)}")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    created_by: str | None = None

    def row(self) -> dict:
        return {"id": self.id, "tier": self.tier.value, "who": self.who, "starts_at": self.start,
                "ends_at": self.end, "reason": self.reason, "created_at": self.created_at,
                "created_by": self.created_by}

    @classmethod
    def from_row(cls, row: dict) -> "StoredOverride":
        return cls(id=row["id"], tier=row["tier"], who=row["who"], start=row["starts_at"], end=row["ends_at"],
                   reason=row["reason"], created_at=row["created_at"], created_by=row["created_by"])


_LIST = TypeAdapter(list[StoredOverride])


class OverrideStoreError(ValueError):
    pass


class OverrideStore:
    """`data_dir` holds the default SQLite ledger and a legacy `overrides.json`; `url` names the ledger
    explicitly (else `INCIDENTFLOW_DATABASE_URL`, else `<data_dir>/ledger.sqlite3`, as for the ledger)."""

    def __init__(self, data_dir: Path | str, url: str | None = None):
        self.data_dir = Path(data_dir)
        self.legacy_path = self.data_dir / LEGACY_FILE
        self._url = url

    @classmethod
    def from_settings(cls) -> "OverrideStore":
        from settings import get_settings

        return cls(get_settings().data_dir)

    @property
    def url(self) -> str:
        if self._url is None:
            from adapters.stores.ledger_engine import default_url
            from settings import get_settings

            self._url = get_settings().database_url or default_url(self.data_dir)
        return self._url

    @property
    def location(self) -> str:
        """Where the overrides are, for messages (no password)."""
        import sqlalchemy as sa

        return f"ledger {sa.make_url(self.url).render_as_string(hide_password=True)}"

    def load(self) -> list[StoredOverride]:
        with self._database():
            ledger = self._ledger()
            self._import_legacy(ledger)
            return [StoredOverride.from_row(row) for row in ledger.overrides()]

    def load_for_paging(self) -> list[StoredOverride]:
        """What paging uses: an unreachable ledger or a damaged legacy file must not stop a page, so the
        overrides that can be read (possibly none: the plain rotation) are used and the problem is logged."""
        try:
            return self.load()
        except OverrideStoreError:
            log.exception("on-call overrides: not importing %s", self.legacy_path)
            try:
                return [StoredOverride.from_row(row) for row in self._ledger().overrides()]
            except Exception:
                log.exception("ignoring on-call overrides: cannot read the %s", self.location)
                return []
        except Exception:
            log.exception("ignoring on-call overrides: cannot read the %s", self.location)
            return []

    def add(self, override: Override, created_by: str | None = None) -> StoredOverride:
        stored = StoredOverride(**override.model_dump(), created_by=created_by)
        with self._database():
            ledger = self._ledger()
            self._import_legacy(ledger)
            ledger.add_overrides([stored.row()])
        return stored

    def remove(self, override_id: str) -> StoredOverride:
        with self._database():
            ledger = self._ledger()
            self._import_legacy(ledger)
            removed = ledger.remove_override(override_id)
            if removed is None:
                known = ", ".join(row["id"] for row in ledger.overrides()) or "none stored"
                raise OverrideStoreError(f"no override {override_id!r} ({known})")
        return StoredOverride.from_row(removed)

    @contextmanager
    def ledger(self):
        """The ledger holding the overrides, for what is read beside them (training records, docs/oncall.md);
        its errors are OverrideStoreErrors, as for the overrides."""
        with self._database():
            yield self._ledger()

    @contextmanager
    def _database(self):
        """An unreachable database is one clear error naming it, not a driver traceback."""
        import sqlalchemy as sa

        try:
            yield
        except sa.exc.SQLAlchemyError as exc:
            first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise OverrideStoreError(f"cannot use the {self.location}: {first}") from None

    def _ledger(self):
        from adapters.stores.ledger import open_ledger

        try:
            return open_ledger(self.url)
        except ValueError as exc:  # LedgerError: an unsupported URL
            raise OverrideStoreError(str(exc)) from None

    def _import_legacy(self, ledger) -> int:
        """Move `overrides.json` into the ledger once. Under the old file lock, so two processes never
        import it twice and a removal made right after an import is never undone by a second import."""
        if not self.legacy_path.exists():
            return 0
        with self._locked():
            try:
                text = self.legacy_path.read_text(encoding="utf-8")
            except FileNotFoundError:  # another process imported it meanwhile
                return 0
            try:
                overrides = _LIST.validate_json(text) if text.strip() else []
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise OverrideStoreError(f"{self.legacy_path}: entry {where}: {first['msg']} (fix or remove the "
                                         "file; it is imported into the ledger once it is valid)") from None
            added = ledger.add_overrides([o.row() for o in overrides])
            self.legacy_path.replace(self.legacy_path.with_name(LEGACY_FILE + IMPORTED_SUFFIX))
        log.warning("imported %d on-call override(s) from %s into the %s", added, self.legacy_path, self.location)
        return added

    @contextmanager
    def _locked(self):
        with (self.data_dir / (LEGACY_FILE + ".lock")).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
