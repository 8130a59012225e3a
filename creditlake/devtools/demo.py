"""`creditlake demo`: the whole of creditlake, through Airflow, on embedded defaults.

This process supervises; the work runs in child processes, each in a session (and so a
process group) of its own:

1. settings: Airflow home under DEMO_DIR/airflow (SQLite metadata database, parallelism 4),
   the warehouse under DEMO_DIR/warehouse, a demo PII key, the simulator's credentials: the
   demo's own, whatever the shell holds (see demo_environment);
2. generate the simulated data (once; same seed, same bytes): `creditlake simulator generate`;
3. start the simulator on a free loopback port: `creditlake simulator serve`, given the
   credentials the pipeline will present; two banks (bank_a, bank_b) share its loan book,
   each dropping its files into a folder of its own;
4. the Airflow runs, `python -m creditlake.devtools.runner --migrate ...`: migrate
   Airflow's database and create the pools, then for each simulated day run every ingestion
   DAG, the dbt DAG and the maintenance DAG with dag.test() (real task runs, recorded in the
   metadata database, visible in the UI afterwards), moving the simulator's clock on between
   days; then the regulator-extract DAG for the last complete month, once it is due (the 3rd);
5. print the summary (creditlake.devtools.summary), then start the bank service
   (`creditlake serve`, a key per bank), open a report as each bank and print the sign-in
   links; on a terminal it serves until Ctrl-C.

Why a supervisor: dag.test() runs each task in the calling process, and Airflow's task runner
replaces the SIGTERM handler while a task runs and records a KeyboardInterrupt as a task
failure, so a process running DAGs does not stop when told to. This process only waits on
its children, so SIGINT, SIGTERM and SIGHUP end every child's process group within seconds.

The terminal shows the demo's own steps, a line per DAG run and the summary. Everything the
children print (dbt's log lines, Airflow's configuration warnings, task logs) and this
process's own warnings go to DEMO_DIR/demo.log; the simulator's requests to
DEMO_DIR/simulator.log.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import typer
from rich.console import Console

from creditlake.core.config import demo_dir

console = Console()
DEMO_PII_KEY = "creditlake-demo-pii-key-not-for-production"
DEMO_AUDIT_KEY = "creditlake-demo-audit-key-not-for-production"
DEMO_BANKS = ("bank_a", "bank_b")  # two banks share the demo's loan book, each its own drop
SIM_SEED, SIM_ENTERPRISES, SIM_MONTHS = 7, 2000, 24

# The demo is self-contained: everything it reads and writes is under DEMO_DIR, its platforms
# are its own simulator's. The shell's settings for these programs belong to a deployment
# (real credentials, a real warehouse or catalog, the regulator's endpoint, the alert pager,
# the production PII key), and a demo that honoured them would fail to log in to its simulator
# (it did: hours of retries), write simulated data into real places, page people, POST to the
# regulator, or delete the real warehouse when it starts fresh. So every variable with these
# prefixes is left out of the children's environment and replaced by the demo's own, and the
# demo says which it ignored. Only its own knobs pass: where it lives and the UI port.
SHELL_PREFIXES = ("CREDITLAKE_", "AIRFLOW_", "DBT_", "PYICEBERG_")  # AIRFLOW_ covers AIRFLOW__*
DEMO_KNOBS = ("CREDITLAKE_DEMO_DIR", "CREDITLAKE_DEMO_UI_PORT")

# How long a child's process group gets between SIGTERM and SIGKILL. Under dag.test() the
# runner ignores SIGTERM while a task runs (see above), so this is its usual end: short.
GRACE_SECONDS = 3.0
EXTRACT_DAY = 3  # regulator_extract runs on the 3rd of a month (creditlake.orchestration.regulator_extract_dag)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_settings(root: Path, sim_url: str, sim_seed: int, ui_port: int = 8080) -> dict[str, str]:
    """Every environment variable the pipeline and Airflow read, for the demo's embedded set-up."""
    from creditlake.devtools.airflow_home import airflow_env
    from creditlake.devtools.settings import pipeline_env

    settings = airflow_env(root / "airflow", api_port=ui_port)
    settings["CREDITLAKE_DEMO_DIR"] = str(root)
    settings.update(
        pipeline_env(
            sim_url,
            sim_seed,
            drop=root / "sim" / "drop",
            warehouse=root / "warehouse",
            pii_key=DEMO_PII_KEY,
        )
    )
    settings["CREDITLAKE_BANKS"] = ",".join(DEMO_BANKS)
    settings["CREDITLAKE_SERVICE_BANKS"] = str(root / "service" / "banks.toml")
    settings["CREDITLAKE_AUDIT_KEY"] = DEMO_AUDIT_KEY
    return settings


def _shell_setting(name: str) -> bool:
    return name.startswith(SHELL_PREFIXES) and name not in DEMO_KNOBS


def demo_environment(
    shell: Mapping[str, str], settings: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The whole environment of the demo's processes, and the names of the shell's settings it
    drops or overrides (SHELL_PREFIXES says why)."""
    environment = {k: v for k, v in shell.items() if not _shell_setting(k)}
    environment.update(settings)
    ignored = sorted(k for k, v in shell.items() if _shell_setting(k) and settings.get(k) != v)
    return environment, ignored


def write_env_file(path: Path, settings: dict[str, str]) -> None:
    """`source` this to reach the demo's Airflow, warehouse and simulator from a shell."""
    lines = ["# Written by `creditlake demo`: source it to use the demo's Airflow and warehouse."]
    lines += [f"export {k}='{v}'" for k, v in sorted(settings.items()) if "SECRET" not in k]
    lines += [f"export {k}='{v}'" for k, v in sorted(settings.items()) if "SECRET" in k]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- child processes and signals -------------------------------------------------------------
class Interrupted(BaseException):
    """A stop signal reached the demo. A BaseException, so no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Supervisor:
    """The demo's child processes, each in a session of its own, and the signals that end them.

    While active, SIGINT, SIGTERM and SIGHUP raise Interrupted in this (main) thread, once;
    later signals are ignored so that the clean-up runs to its end. On exit every child still
    running is ended, whether the demo finished, failed or was stopped.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.children: list[subprocess.Popen] = []
        self.signum: int | None = None
        self._deferring = 0
        self._raised = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Supervisor:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.end(self.children)
        finally:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum = signum
        if self._deferring or self._raised:
            return
        self._raised = True
        raise Interrupted(signum)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """A signal arriving inside the block acts once the block is done, so a child is never
        started without being registered, nor left half-ended."""
        self._deferring += 1
        try:
            yield
        finally:
            self._deferring -= 1
        if not self._deferring and self.signum is not None and not self._raised:
            self._raised = True
            raise Interrupted(self.signum)

    def spawn(
        self, cmd: list[str], environment: Mapping[str, str], stdout, stderr=subprocess.STDOUT
    ) -> subprocess.Popen:
        with self.deferred():
            # A session of its own: the terminal's Ctrl-C reaches only this process, which
            # then ends the child's whole group (the child's own children included).
            proc = subprocess.Popen(
                cmd,
                env=dict(environment),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
            self.children.append(proc)
        return proc

    def end(self, procs: list[subprocess.Popen]) -> None:
        """SIGTERM the process group of each child still running, SIGKILL what is left of it after
        GRACE_SECONDS (a leader that exits may leave children in its group)."""
        with self.deferred():
            running = [p for p in procs if p.poll() is None]
            for proc in running:
                _signal_group(proc, signal.SIGTERM)
            deadline = time.monotonic() + GRACE_SECONDS
            for proc in running:
                with suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            for proc in running:
                _signal_group(proc, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=2)
            for proc in list(procs):
                if proc.poll() is not None and proc in self.children:
                    self.children.remove(proc)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the child leads its group: start_new_session


def creditlake_bin() -> str:
    return str(Path(sys.executable).with_name("creditlake"))


def live_lines():
    """Spinner lines with elapsed time for the steps running now, on a terminal only: in a file
    or pipe they would be noise (the line printed when a step ends is kept either way)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextmanager
def spinner(text: str) -> Iterator[None]:
    """A live line with elapsed time on a terminal (nothing when the output is a file or pipe)."""
    with live_lines() as bar:
        bar.add_task(text, total=None)
        yield


class Simulator:
    """`creditlake simulator serve` in a child process, started with the demo's environment."""

    def __init__(
        self,
        sup: Supervisor,
        data: Path,
        seed: int,
        environment: Mapping[str, str],
        log: Path,
        port: int,
    ):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        cmd = [
            creditlake_bin(),
            "simulator",
            "serve",
            "--data",
            str(data),
            "--seed",
            str(seed),
            "--port",
            str(port),
            "--drop",
            str(Path(environment["CREDITLAKE_BANK_DROP"])),
            "--banks",
            environment["CREDITLAKE_BANKS"],
        ]
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as out:  # the child keeps its own descriptor
            self.proc = sup.spawn(cmd, environment, stdout=out)

    def wait_ready(self, timeout: float = 900) -> dict:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"the simulator exited with {self.proc.returncode}; see {self.log}"
                )
            try:
                return requests.get(self.url + "/_sim/clock", timeout=5).json()
            except requests.RequestException:
                time.sleep(0.3)
        raise TimeoutError(
            f"the simulator did not answer on {self.url} within {timeout:.0f} s; see {self.log}"
        )


def parse_clock(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def last_complete_month(clock: datetime) -> str:
    first = clock.replace(day=1)
    previous = first - timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


# --- the demo's steps ------------------------------------------------------------------------
@dataclass
class DemoSetup:
    root: Path
    log_path: Path
    log: BinaryIO
    settings: dict[str, str]
    environment: dict[str, str]
    ignored: list[str]
    simulator: Simulator
    clock: datetime
    timings: dict[str, float] = field(default_factory=dict)


def prepare(
    sup: Supervisor,
    root: Path,
    shell: Mapping[str, str],
    log: BinaryIO,
    log_path: Path,
    fresh: bool = True,
    seed: int = SIM_SEED,
    enterprises: int = SIM_ENTERPRISES,
    months: int = SIM_MONTHS,
) -> DemoSetup:
    """Steps 1-3: choose the settings, generate the data if needed, start the simulator."""
    timings: dict[str, float] = {}
    port = free_port()
    settings = demo_settings(
        root, f"http://127.0.0.1:{port}", seed, int(shell.get("CREDITLAKE_DEMO_UI_PORT") or 8080)
    )
    environment, ignored = demo_environment(shell, settings)
    console.rule("[bold]1. settings")
    if ignored:
        console.print(
            "ignored from the shell (the demo runs on its own settings, under "
            f"CREDITLAKE_DEMO_DIR={root}): {', '.join(ignored)}",
            soft_wrap=True,
        )
    sim_dir = root / "sim"
    if (
        fresh
    ):  # the pipeline's state starts empty; the generated data is kept (same seed, same bytes),
        # the bank's drop folder is not: the simulator rewrites it up to its clock at start.
        for folder in (root / "airflow", root / "warehouse", sim_dir / "drop"):
            shutil.rmtree(folder, ignore_errors=True)

    meta = sim_dir / "meta.json"
    if not meta.exists() or _meta_differs(meta, seed, enterprises, months):
        console.rule(
            f"[bold]2. generating simulated data: {enterprises} enterprises x {months} months"
        )
        shutil.rmtree(sim_dir, ignore_errors=True)
        started = time.perf_counter()
        with spinner("generating"):
            proc = sup.spawn(
                [
                    creditlake_bin(),
                    "simulator",
                    "generate",
                    "--out",
                    str(sim_dir),
                    "--seed",
                    str(seed),
                    "--enterprises",
                    str(enterprises),
                    "--months",
                    str(months),
                ],
                environment,
                stdout=log,
            )
            proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(
                f"generating the simulated data failed ({proc.returncode}); see {log_path}"
            )
        timings["generate"] = time.perf_counter() - started
        console.print(f"  {sim_dir} in {timings['generate']:.1f} s", soft_wrap=True)
    else:
        console.rule(f"[bold]2. simulated data present in {sim_dir} (seed {seed})")

    console.rule("[bold]3. starting the simulator")
    started = time.perf_counter()
    sim = Simulator(sup, sim_dir, seed, environment, root / "simulator.log", port)
    with spinner("waiting for the simulator"):
        clock = parse_clock(sim.wait_ready()["clock"])
    timings["simulator"] = time.perf_counter() - started
    console.print(
        f"simulator on {sim.url}, clock {clock:%Y-%m-%d %H:%M}Z (log: {sim.log})", soft_wrap=True
    )
    console.print("credentials the pipeline presents and the simulator was started with:")
    for key in sorted(
        k for k in settings if k.endswith(("_BASE_URL", "_CLIENT_ID", "_CLIENT_SECRET"))
    ):
        console.print(
            f"  {key}={settings[key]}", soft_wrap=True
        )  # the simulator's demo credentials
    write_env_file(root / "env.sh", settings)
    return DemoSetup(root, log_path, log, settings, environment, ignored, sim, clock, timings)


def run_airflow(
    sup: Supervisor, setup: DemoSetup, days: int, extract: str | None
) -> tuple[dict, str | None]:
    """Step 4 in a child process; shows its progress lines, logs everything else. Returns the
    runner's results and, when a DAG run failed, the runner's message."""
    cmd = [
        sys.executable,
        "-m",
        "creditlake.devtools.runner",
        "--migrate",
        "--start",
        f"{setup.clock:%Y-%m-%d}",
        "--days",
        str(days),
        "--sim-url",
        setup.simulator.url,
    ]
    if extract:
        cmd += ["--extract", extract]
    # Unbuffered: Airflow's and dbt's lines reach the log in the order they were written.
    worker = sup.spawn(cmd, {**setup.environment, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE)
    results: dict = {}
    failed: str | None = None
    names = {
        "airflow_db": "Airflow metadata database (SQLite) and pools",
        "parse_dags": "parsing the DAGs",
    }
    with live_lines() as bar:
        live: dict[str, int] = {}
        for raw in worker.stdout:
            setup.log.write(raw)
            setup.log.flush()  # `tail -f demo.log` follows along
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if line.startswith("RESULTS "):
                results = json.loads(line[len("RESULTS ") :])
            elif line.startswith("FAILED: "):
                failed = line[len("FAILED: ") :]
            elif line.startswith("PROGRESS "):
                _show(bar, live, names, json.loads(line[len("PROGRESS ") :]), setup.timings)
        worker.wait()
    if not results:
        raise RuntimeError(
            f"the Airflow runs ended with status {worker.returncode} before reporting; "
            f"see {setup.log_path}"
        )
    return results, failed


def _show(
    bar, live: dict[str, int], names: dict[str, str], event: dict, timings: dict[str, float]
) -> None:
    kind = event["event"]
    if kind == "step_start":
        live[event["step"]] = bar.add_task(names.get(event["step"], event["step"]), total=None)
    elif kind == "step_end":
        bar.remove_task(live.pop(event["step"]))
        timings[event["step"]] = event["seconds"]
        bar.console.print(
            f"  {names.get(event['step'], event['step']):<46} {event['seconds']:6.1f} s"
        )
    elif kind == "day":
        bar.console.rule(f"[bold]4.{event['day']} simulated day {event['date']}")
    elif kind == "extract":
        bar.console.rule(f"[bold]5. regulator extract {event['period']}")
    elif kind == "dag_start":
        live[event["dag_id"]] = bar.add_task(f"{event['dag_id']} {event['date']}", total=None)
    elif kind == "dag_end":
        bar.remove_task(live.pop(event["dag_id"]))
        colour = "green" if event["state"] == "success" else "bold red"
        bar.console.print(
            f"  {event['dag_id']:<28} {event['date']}  [{colour}]{event['state']:<8}[/] "
            f"{event['seconds']:6.1f} s"
        )


def _print_task_failures(since: int) -> None:
    """Why a run failed, from the failure alerts the tasks raised (the full log is in the file)."""
    from creditlake.orchestration.alerts import read_alerts

    for alert in read_alerts()[since:]:
        if alert.kind == "task_failed":
            console.print(f"  [red]{alert.subject}[/]: {alert.message}", soft_wrap=True)


def _log_to_file(log_path: Path) -> logging.Handler:
    """This process's own log records and Python warnings go to the log file, not the terminal."""
    handler = logging.FileHandler(log_path, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    return handler


def run_service(sup: Supervisor, setup: DemoSetup, serve_until_stopped: bool) -> dict:
    """Step 5: the bank service over the published marts, a key per bank; opens one report as
    each bank (a borrower of its own, purpose post-loan management) and prints the links."""
    import duckdb
    import requests

    from creditlake.service.cli import write_bank_file
    from creditlake.transform import published_db

    console.rule("[bold]5. the bank service")
    keys = write_bank_file(Path(setup.settings["CREDITLAKE_SERVICE_BANKS"]), list(DEMO_BANKS))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = setup.root / "service.log"
    with log.open("wb") as out:
        proc = sup.spawn(
            [creditlake_bin(), "serve", "--port", str(port)], setup.environment, stdout=out
        )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bank service did not start; see {log}")
        try:
            requests.get(url + "/healthz", timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.2)
    with duckdb.connect(str(published_db()), read_only=True) as con:
        borrowers = dict(
            con.execute(
                "select bank_id, min(uscc) from marts.fct_loan_month where exposure > 0 and "
                "month = (select max(month) from marts.fct_loan_month) group by bank_id"
            ).fetchall()
        )
    links = {}
    for bank, key in keys.items():
        report = f"/report/{borrowers[bank]}?purpose=post_loan_management&lang=zh"
        answer = requests.get(url + report, headers={"Authorization": f"Bearer {key}"}, timeout=60)
        links[bank] = f"{url}/login?key={key}&next={quote(report, safe='')}"
        console.print(
            f"  {bank}: report of its borrower {borrowers[bank]}: HTTP {answer.status_code}, "
            f"{len(answer.content):,} bytes; open as {bank}:\n    {links[bank]}",
            soft_wrap=True,
        )
    console.print(
        f"  API docs {url}/docs; audit log: creditlake audit verify (source {setup.root}/env.sh)",
        soft_wrap=True,
    )
    if serve_until_stopped:
        console.print("the service runs until Ctrl-C", soft_wrap=True)
        proc.wait()
    else:
        sup.end([proc])
    return {"url": url, "links": links}


def run_demo(
    days: int = 3,
    fresh: bool = True,
    seed: int = SIM_SEED,
    enterprises: int = SIM_ENTERPRISES,
    months: int = SIM_MONTHS,
    serve_until_stopped: bool = False,
) -> dict:
    started = time.perf_counter()
    root = demo_dir()
    root.mkdir(parents=True, exist_ok=True)
    log_path = root / "demo.log"
    log_path.write_bytes(b"")  # one run per log file
    console.print(
        f"creditlake demo in {root}; Airflow's, dbt's and the pipeline's own output: {log_path}",
        soft_wrap=True,
    )
    handler = _log_to_file(log_path)
    interrupted = False
    try:
        with Supervisor() as sup, log_path.open("ab") as log:
            setup = prepare(
                sup,
                root,
                dict(os.environ),
                log,
                log_path,
                fresh=fresh,
                seed=seed,
                enterprises=enterprises,
                months=months,
            )
            # This process reads the warehouse for the summary: the same settings as its children.
            os.environ.clear()
            os.environ.update(setup.environment)
            from creditlake.orchestration.alerts import read_alerts

            alerts_before = len(read_alerts())
            last_day = setup.clock + timedelta(days=days - 1)
            period = last_complete_month(last_day)
            # The monthly extract is due on the 3rd; before that the month-end loan file may
            # not have arrived (on 1 November the bank's newest is September's), so it would fail.
            due = last_day.day >= EXTRACT_DAY
            results, failed = run_airflow(sup, setup, days, period if due else None)
            if not due:
                console.print(
                    f"regulator extract {period}: not due yet (it runs on the {EXTRACT_DAY}rd; "
                    f"--days {EXTRACT_DAY} reaches it)"
                )
            if failed:
                console.print(f"[bold red]{failed}; stopped there. Why:")
                _print_task_failures(alerts_before)
            sup.end([setup.simulator.proc])

            from creditlake.devtools.summary import print_summary

            timings = {
                **setup.timings,
                **results.get("timings", {}),
                "total": time.perf_counter() - started,
            }
            summary = print_summary(console, root, period, results.get("results", {}), timings)
            if not failed:
                summary["service"] = run_service(sup, setup, serve_until_stopped)
            (root / "summary.json").write_text(
                json.dumps(summary, indent=2, default=str), encoding="utf-8"
            )
    except Interrupted:
        interrupted = True  # command() prints the one line that says so
        raise
    finally:
        if not interrupted:
            console.print(f"log: {log_path} (simulator: {root / 'simulator.log'})", soft_wrap=True)
        logging.getLogger().removeHandler(handler)
        handler.close()
    if failed or any(state != "success" for state in results.get("results", {}).values()):
        raise SystemExit(1)
    return summary


def _meta_differs(meta: Path, seed: int, enterprises: int, months: int) -> bool:
    data = json.loads(meta.read_text())
    return (data.get("seed"), data.get("enterprises"), data.get("months")) != (
        seed,
        enterprises,
        months,
    )


def command(
    days: int = typer.Option(
        3,
        min=1,
        max=30,
        help="Simulated days to run from 1 November; 3 reaches the 3rd, when the monthly extract is due",
    ),
    fresh: bool = typer.Option(True, help="Start with an empty warehouse and Airflow database"),
    enterprises: int = typer.Option(SIM_ENTERPRISES, min=10, help="Simulated enterprises"),
    months: int = typer.Option(SIM_MONTHS, min=13, max=120, help="Months of history"),
    serve: bool = typer.Option(
        True, help="Keep the bank service running until Ctrl-C (on a terminal only)"
    ),
) -> None:
    """Run the whole of creditlake through Airflow on embedded defaults, then print a summary
    and start the bank service."""
    try:
        run_demo(
            days=days,
            fresh=fresh,
            enterprises=enterprises,
            months=months,
            serve_until_stopped=serve and sys.stdin.isatty(),
        )
    except Interrupted as stop:
        name = signal.Signals(stop.signum).name
        Console(stderr=True).print(
            f"creditlake demo: stopped by {name}; its simulator and Airflow processes "
            f"were ended (log: {demo_dir() / 'demo.log'})",
            soft_wrap=True,
        )
        raise SystemExit(128 + stop.signum) from None
    except (RuntimeError, TimeoutError) as exc:  # a child failed to start: its log says why
        Console(stderr=True).print(f"creditlake demo: {exc}", soft_wrap=True)
        raise SystemExit(1) from None
