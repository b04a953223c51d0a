#!/bin/sh
# First start of the PostgreSQL volume only (docker-entrypoint-initdb.d): the incident ledger's own role and
# database next to Temporal's. The ledger creates (and migrates) its tables on first use.
set -eu
: "${LEDGER_DB_PASSWORD:?set LEDGER_DB_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v password="$LEDGER_DB_PASSWORD" <<'SQL'
CREATE ROLE incidentflow LOGIN PASSWORD :'password';
CREATE DATABASE incidentflow OWNER incidentflow;
SQL
