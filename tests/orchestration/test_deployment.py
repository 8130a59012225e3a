"""The deployment shape: docker-compose.yml is valid, has every component, and holds no
credential: each password, key and secret comes from the environment, none has a default."""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INIT_SCRIPT = ROOT / "deploy" / "postgres-init.sh"

# Every variable docker-compose.yml requires, with a value no default could have.
SECRETS = {
    "POSTGRES_PASSWORD": "sentinel-postgres-password",
    "AIRFLOW_DB_PASSWORD": "sentinel-airflow-db-password",
    "CREDITLAKE_CATALOG_DB_PASSWORD": "sentinel-catalog-db-password",
    "CREDITLAKE_SERVICE_DB_PASSWORD": "sentinel-service-db-password",
    "AIRFLOW_JWT_SECRET": "sentinel-jwt-secret",
    "CREDITLAKE_PII_KEY": "sentinel-pii-key",
    "CREDITLAKE_AUDIT_KEY": "sentinel-audit-key",
    "CREDITLAKE_SIMULATOR_CLIENT_SECRET": "sentinel-simulator-secret",
}
REQUIRED = {**SECRETS, "CREDITLAKE_SERVICE_BANKS_FILE": "/etc/creditlake/banks.toml"}
# What the deployment shape held before: none of it may come back.
OLD_DEFAULTS = ("airflow:airflow@", "creditlake:creditlake@", "POSTGRES_PASSWORD: postgres")
CREDENTIAL_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN")

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="apt-get install docker-compose"
)


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # An empty --env-file: a developer's .env beside the file cannot fill in what a test unset.
    with tempfile.NamedTemporaryFile("w", suffix=".env") as no_env_file:
        return subprocess.run(
            ["docker-compose", "--env-file", no_env_file.name, *args],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", **env},
            capture_output=True,
            text=True,
            timeout=60,
        )


@needs_compose
def test_docker_compose_config():
    done = compose("config", "--services", env=REQUIRED)
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {
        "postgres",
        "redis",
        "airflow-init",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "simulator",
        "bank-service",
    }


@needs_compose
@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_the_configuration_is_refused_naming_a_variable_left_unset_or_empty(name):
    for env in (
        {k: v for k, v in REQUIRED.items() if k != name},
        {**REQUIRED, name: ""},
    ):
        refused = compose("config", env=env)
        assert refused.returncode != 0
        # The message is the one written in the file, naming the variable.
        assert f"{name} is not set: " in refused.stderr, refused.stderr
        for secret in SECRETS.values():  # nor does it print the secrets that are set
            assert secret not in refused.stderr + refused.stdout


@needs_compose
def test_no_credential_has_a_literal_or_a_default_in_the_resolved_configuration():
    done = compose("config", env=REQUIRED)
    assert done.returncode == 0, done.stderr
    for old in OLD_DEFAULTS:
        assert old not in done.stdout
    sentinels = set(SECRETS.values())
    used = set()
    for service, spec in yaml.safe_load(done.stdout)["services"].items():
        for key, value in (spec.get("environment") or {}).items():
            value = str(value)
            if CREDENTIAL_NAME.search(key):
                assert value in sentinels, f"{service}: {key} is not from the environment"
                used.add(value)
            if "://" in value:
                password = urlsplit(value.removeprefix("db+")).password
                if password is not None:
                    assert password in sentinels, f"{service}: {key} has a literal password"
                    used.add(password)
    # Every secret reaches a container (POSTGRES_PASSWORD the postgres one).
    assert used == sentinels


def test_the_compose_file_gives_no_credential_a_default():
    text = (ROOT / "docker-compose.yml").read_text()
    defaulted = re.findall(r"\$\{(\w+)(?::?-)", text)
    assert not [name for name in defaulted if CREDENTIAL_NAME.search(name)], defaulted
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == set(REQUIRED)
    # deploy/env.example lists exactly these, with no value.
    example = (ROOT / "deploy" / "env.example").read_text().splitlines()
    entries = [line.split("=", 1) for line in example if line and not line.startswith("#")]
    assert {name for name, _ in entries} == required
    assert all(value == "" for _, value in entries)


def test_deploy_files_hold_no_password_literal():
    files = [ROOT / "Dockerfile", *sorted((ROOT / "deploy").iterdir())]
    assert not list((ROOT / "deploy").glob("*.sql"))  # SQL cannot read the environment
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}: {line}"
            # SQL: PASSWORD 'literal' (a psql variable is PASSWORD :'var')
            assert not re.search(r"(?i)\bPASSWORD\s+'", line), where
            # shell, Dockerfile ENV/ARG, env files: NAME=value for a credential
            assign = re.match(r"\s*(?:export\s+|ENV\s+|ARG\s+)?(\w+)\s*=\s*(\S*)", line)
            if assign and CREDENTIAL_NAME.search(assign.group(1)):
                assert assign.group(2) == "", where


def test_the_init_script_refuses_to_run_without_its_passwords():
    env = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW_DB_PASSWORD": "x",
        "CREDITLAKE_SERVICE_DB_PASSWORD": "",
    }
    done = subprocess.run(
        ["bash", str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode != 0
    assert "CREDITLAKE_CATALOG_DB_PASSWORD is not set" in done.stderr
    assert os.access(INIT_SCRIPT, os.X_OK)  # the image runs it, rather than sourcing it


def _initdb() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1])
    which = shutil.which("initdb")
    return Path(which) if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(_initdb() is None, reason="PostgreSQL server binaries (initdb) not installed")
def test_the_init_script_gives_each_role_the_password_from_the_environment():
    """On a throwaway cluster, as the image would run it: each role logs in over TCP
    (scram-sha-256) with its password, however it is quoted, and with nothing else."""
    import psycopg2

    bindir = _initdb().parent
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root
        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if runuser is None:
            pytest.skip("as root, runuser is needed to run initdb as postgres")
        as_postgres = [runuser, "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="creditlake-pginit-"))
    if as_postgres:
        shutil.chown(base, "postgres")
    data, port = base / "data", _free_port()
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "PGHOST": str(base), "PGPORT": str(port)}

    def run(*cmd, extra=None):
        done = subprocess.run(
            [*as_postgres, *cmd],
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    passwords = {
        "AIRFLOW_DB_PASSWORD": "it's; DROP ROLE postgres; --",
        "CREDITLAKE_CATALOG_DB_PASSWORD": "back\\slash :'var' $HOME `id`",
        "CREDITLAKE_SERVICE_DB_PASSWORD": 'double "quote" and spaces',
    }
    try:
        run(
            str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base}"
        log = str(base / "log")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start")
        done = run("bash", str(INIT_SCRIPT), extra={"POSTGRES_USER": "postgres", **passwords})
        for secret in passwords.values():
            assert secret not in done.stdout + done.stderr
        for role, db, variable in (
            ("airflow", "airflow", "AIRFLOW_DB_PASSWORD"),
            ("creditlake", "iceberg_catalog", "CREDITLAKE_CATALOG_DB_PASSWORD"),
            ("creditlake_service", "creditlake_service", "CREDITLAKE_SERVICE_DB_PASSWORD"),
        ):
            login = dict(host="127.0.0.1", port=port, user=role, dbname=db, connect_timeout=5)
            with psycopg2.connect(password=passwords[variable], **login) as con:
                with con.cursor() as cur:
                    cur.execute(
                        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (db,)
                    )
                    owner = cur.fetchone()[0]
            con.close()
            # the service's database belongs to the superuser, the owner of the audit log
            assert owner == ("postgres" if role == "creditlake_service" else role)
            for wrong in ("", role, "postgres"):
                with pytest.raises(psycopg2.OperationalError, match="password"):
                    psycopg2.connect(password=wrong, **login).close()
        with psycopg2.connect(host=str(base), port=port, user="postgres", dbname="postgres") as con:
            with con.cursor() as cur:
                cur.execute("SELECT rolname, rolsuper FROM pg_roles WHERE rolname !~ '^pg_'")
                assert dict(cur.fetchall()) == {
                    "postgres": True,
                    "airflow": False,
                    "creditlake": False,
                    "creditlake_service": False,
                }
        con.close()
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)
