#!/bin/sh
# Temporal's schema on PostgreSQL, as in temporalio/samples-server/compose: the `temporal` and
# `temporal_visibility` databases, created and migrated with temporal-sql-tool. Safe to run again:
# `create` of an existing database and an up-to-date schema are no-ops.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12
sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "${DB_PORT:-5432}" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:${DB_PORT:-5432}"
until nc -z -w 5 "$POSTGRES_SEEDS" "${DB_PORT:-5432}"; do sleep 1; done

for db in temporal temporal_visibility; do
  sql_tool --db "$db" create || true
done
sql_tool --db temporal setup-schema -v 0.0
sql_tool --db temporal update-schema -d "$SCHEMA_DIR/temporal/versioned"
sql_tool --db temporal_visibility setup-schema -v 0.0
sql_tool --db temporal_visibility update-schema -d "$SCHEMA_DIR/visibility/versioned"
echo "Temporal schema ready"
