#!/usr/bin/env bash
# One PostgreSQL server, three databases: Airflow's metadata, the Iceberg SQL catalog and the
# bank service's audit log and authorisations. The postgres image runs this once, on an empty
# data volume (docker-compose.yml mounts it into /docker-entrypoint-initdb.d/).
#
# No password is written here: each comes from the container's environment and reaches the
# server as a psql variable (\getenv), quoted by psql as a literal (:'var'), never through
# the shell or the command line. Changing one later is ALTER ROLE ... PASSWORD, then the
# variable: this script does not run again on an initialised volume.
#
# The service's database belongs to the superuser, the owner of the audit tables
# (creditlake audit init, see docs/runbook.md); creditlake_service only gets what that grants.
set -e

: "${AIRFLOW_DB_PASSWORD:?AIRFLOW_DB_PASSWORD is not set: the password of the airflow role}"
: "${CREDITLAKE_CATALOG_DB_PASSWORD:?CREDITLAKE_CATALOG_DB_PASSWORD is not set: the password of the creditlake role (Iceberg catalog)}"
: "${CREDITLAKE_SERVICE_DB_PASSWORD:?CREDITLAKE_SERVICE_DB_PASSWORD is not set: the password of the creditlake_service role (bank service)}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" <<'SQL'
\getenv airflow_password AIRFLOW_DB_PASSWORD
\getenv catalog_password CREDITLAKE_CATALOG_DB_PASSWORD
\getenv service_password CREDITLAKE_SERVICE_DB_PASSWORD
CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow;
CREATE ROLE creditlake LOGIN PASSWORD :'catalog_password';
CREATE DATABASE iceberg_catalog OWNER creditlake;
CREATE ROLE creditlake_service LOGIN PASSWORD :'service_password';
CREATE DATABASE creditlake_service;
SQL
