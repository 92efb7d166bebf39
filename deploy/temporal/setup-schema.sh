#!/bin/sh
# Temporal's own schema in PostgreSQL, run by the admin-tools image before the server starts
# (the job `temporal-schema` of docker-compose.yml). Idempotent: a database that exists is
# kept, and update-schema applies only the versions it lacks, so upgrading the images and
# running this again migrates Temporal's schema.
set -eu
SCHEMA=/etc/temporal/schema/postgresql/v12

for database in "$TEMPORAL_DATABASE" "$TEMPORAL_VISIBILITY_DATABASE"; do
  temporal-sql-tool --database "$database" create-database 2>/dev/null \
    || echo "database $database exists"
done

SQL_DATABASE="$TEMPORAL_DATABASE" temporal-sql-tool setup-schema -v 0.0
SQL_DATABASE="$TEMPORAL_DATABASE" temporal-sql-tool update-schema -d "$SCHEMA/temporal/versioned"
SQL_DATABASE="$TEMPORAL_VISIBILITY_DATABASE" temporal-sql-tool setup-schema -v 0.0
SQL_DATABASE="$TEMPORAL_VISIBILITY_DATABASE" temporal-sql-tool update-schema -d "$SCHEMA/visibility/versioned"
