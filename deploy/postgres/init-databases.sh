#!/bin/sh
# PostgreSQL's first start (docker-entrypoint-initdb.d): one database and one login
# role per service, so that no service can read another's tables.
#
#   SERVICE_DATABASES    services to create, space-separated (default: all five)
#   <SERVICE>_DB_PASSWORD  each role's password, e.g. TICKETS_DB_PASSWORD (required)
#
# Each service then keeps its tables in a schema named after it inside its own
# database (shared/db.py creates it on the first migration).
set -eu

for service in ${SERVICE_DATABASES:-gateway tickets notifications video referrals}; do
    variable="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
    password="$(printenv "$variable" || true)"
    if [ -z "$password" ]; then
        echo "init-databases: $variable is not set" >&2
        exit 1
    fi
    # psql quotes the values itself (:"name" as an identifier, :'password' as a literal).
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
         -v name="$service" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
    echo "init-databases: database and role $service created"
done
