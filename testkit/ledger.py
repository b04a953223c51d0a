"""Ledger fixtures: every ledger test runs against SQLite and a real PostgreSQL.

PostgreSQL comes from INCIDENTFLOW_TEST_POSTGRES_URL (`.ci/run` sets it). Unset: those cases skip and say
why, unless INCIDENTFLOW_REQUIRE_POSTGRES=1, when they fail. Each test gets its own PostgreSQL schema
(search_path), dropped afterwards, so parallel runs never collide."""

import os
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from adapters.stores.ledger import Ledger

POSTGRES_ENV = "INCIDENTFLOW_TEST_POSTGRES_URL"


def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = f"{POSTGRES_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        if os.environ.get("INCIDENTFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"INCIDENTFLOW_REQUIRE_POSTGRES=1 but {message}")
        pytest.skip(f"PostgreSQL ledger tests skipped: {message}")
    return url


def postgres_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc.orig}")
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def ledger(ledger_url):
    opened = Ledger(ledger_url)
    yield opened
    opened.dispose()
