# The creditlake project image: Airflow 3 components, Celery workers, dbt, GX and the
# simulator all run from it (docker-compose.yml chooses the command).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/creditlake/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    DBT_PROFILES_DIR=/opt/creditlake/dbt_project \
    CREDITLAKE_WAREHOUSE=/opt/creditlake/warehouse

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 50000 --home-dir /opt/airflow airflow

WORKDIR /opt/creditlake
# Dependencies first (pinned, transitive included): a code change does not reinstall them.
COPY pyproject.toml constraints.txt ./
RUN mkdir -p creditlake connectors simulator expectations \
 && touch creditlake/__init__.py connectors/__init__.py simulator/__init__.py expectations/__init__.py \
 && pip install -c constraints.txt -e . \
 && rm -rf creditlake connectors simulator expectations

# Editable install: creditlake.core.config.PROJECT_ROOT is /opt/creditlake, where dags/ and
# dbt_project/ live next to the packages.
COPY . .
RUN pip install --no-deps -c constraints.txt -e . \
 && python -m creditlake.core.assets \
 && cd dbt_project && dbt deps --quiet 2>/dev/null || true \
 && mkdir -p /opt/creditlake/warehouse /opt/creditlake/drop \
 && chown -R airflow /opt/creditlake /opt/airflow

USER airflow
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["airflow", "version"]
