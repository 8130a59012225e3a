"""`creditlake demo`: the whole of creditlake, through Airflow, on embedded defaults.

1. settings: Airflow home under .demo/airflow (SQLite metadata database, parallelism 4),
   the warehouse under .demo/warehouse, a demo PII key, the simulator's credentials;
2. generate the default simulated data (once; same seed, same bytes);
3. start the simulator on a free loopback port in a subprocess;
4. migrate Airflow's database and create the pools;
5. for each simulated day: advance the clock, run every ingestion DAG, the dbt DAG and
   the maintenance DAG with dag.test() (real task runs, recorded in the metadata database,
   visible in the UI afterwards); then the regulator-extract DAG for the last complete month;
6. print the summary (creditlake.orchestration.summary).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
import typer
from rich.console import Console

from creditlake.config import demo_dir, env

console = Console()
DEMO_PII_KEY = "creditlake-demo-pii-key-not-for-production"
SIM_SEED, SIM_ENTERPRISES, SIM_MONTHS = 7, 2000, 24


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_settings(root: Path, sim_url: str, sim_seed: int) -> dict[str, str]:
    """Every environment variable the pipeline and Airflow read, for the demo's embedded set-up."""
    from creditlake.orchestration.airflow_home import airflow_env
    from creditlake.orchestration.settings import pipeline_env

    settings = airflow_env(root / "airflow", api_port=int(env("CREDITLAKE_DEMO_UI_PORT", "8080")))
    settings["CREDITLAKE_DEMO_DIR"] = str(root)
    # dag.test() runs tasks in this process: their INFO logs would bury the summary lines.
    settings["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
    settings.update(pipeline_env(sim_url, sim_seed, drop=root / "sim" / "drop",
                                 warehouse=Path(env("CREDITLAKE_WAREHOUSE", str(root / "warehouse"))),
                                 pii_key=env("CREDITLAKE_PII_KEY", DEMO_PII_KEY)))
    return settings


def write_env_file(path: Path, settings: dict[str, str]) -> None:
    """`source` this to reach the demo's Airflow, warehouse and simulator from a shell."""
    lines = ["# Written by `creditlake demo`: source it to use the demo's Airflow and warehouse."]
    lines += [f"export {k}='{v}'" for k, v in sorted(settings.items()) if "SECRET" not in k]
    lines += [f"export {k}='{v}'" for k, v in sorted(settings.items()) if "SECRET" in k]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Simulator:
    """The simulator in a subprocess of its own (its own process group, ended as a whole)."""

    def __init__(self, data: Path, seed: int, enterprises: int, months: int, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [str(Path(sys.executable).with_name("creditlake")), "simulator", "serve", "--data", str(data),
               "--seed", str(seed), "--enterprises", str(enterprises), "--months", str(months),
               "--port", str(self.port)]
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 900) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the simulator exited with {self.proc.returncode}; see {self._log.name}")
            try:
                return requests.get(self.url + "/_sim/clock", timeout=5).json()
            except requests.RequestException:
                time.sleep(0.5)
        raise TimeoutError(f"the simulator did not answer on {self.url} within {timeout:.0f} s")

    def advance(self, days: int = 1) -> dict:
        response = requests.post(self.url + "/_sim/advance", json={"days": days}, timeout=600)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        self._log.close()


def parse_clock(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def last_complete_month(clock: datetime) -> str:
    first = clock.replace(day=1)
    previous = first - timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def run_demo(days: int = 3, fresh: bool = True, seed: int = SIM_SEED, enterprises: int = SIM_ENTERPRISES,
             months: int = SIM_MONTHS) -> dict:
    started = time.perf_counter()
    root = demo_dir()
    sim_dir = root / "sim"
    if fresh:  # the pipeline's state starts empty; the generated data is kept (same seed, same bytes),
        # the bank's drop folder is not: the simulator rewrites it up to its clock at start.
        for folder in (root / "airflow", Path(env("CREDITLAKE_WAREHOUSE", str(root / "warehouse"))),
                       sim_dir / "drop"):
            shutil.rmtree(folder, ignore_errors=True)
    timings: dict[str, float] = {}

    meta = sim_dir / "meta.json"
    if not meta.exists() or _meta_differs(meta, seed, enterprises, months):
        console.rule(f"[bold]1. generating simulated data: {enterprises} enterprises x {months} months")
        t = time.perf_counter()
        from simulator.generator import generate

        shutil.rmtree(sim_dir, ignore_errors=True)
        generate(out=sim_dir, seed=seed, enterprises=enterprises, months=months)
        timings["generate"] = time.perf_counter() - t
    else:
        console.rule(f"[bold]1. simulated data present in {sim_dir} (seed {seed})")

    console.rule("[bold]2. starting the simulator")
    sim = Simulator(sim_dir, seed, enterprises, months, root / "simulator.log")
    try:
        clock = parse_clock(sim.wait_ready()["clock"])
        console.print(f"simulator on {sim.url}, clock {clock:%Y-%m-%d %H:%M}Z (log: {root / 'simulator.log'})")
        settings = demo_settings(root, sim.url, seed)
        for key in sorted(k for k in settings if k.endswith(("_BASE_URL", "_CLIENT_ID", "_CLIENT_SECRET"))):
            console.print(f"  {key}={settings[key]}", soft_wrap=True)  # the simulator's demo credentials
        os.environ.update(settings)  # before Airflow is imported: it reads its settings once
        write_env_file(root / "env.sh", settings)

        console.rule("[bold]3. Airflow metadata database (SQLite) and pools")
        t = time.perf_counter()
        from creditlake.orchestration.airflow_home import migrate

        migrate(settings)
        timings["airflow_db"] = time.perf_counter() - t

        from creditlake.orchestration.runner import DagRunFailed, DagRunner

        runner = DagRunner()
        try:
            for day in range(days):
                if day:
                    clock = parse_clock(sim.advance(1)["clock"])
                console.rule(f"[bold]4.{day + 1} simulated day {clock:%Y-%m-%d}")
                runner.run_day(clock)
            console.rule("[bold]5. regulator extract")
            runner.run_extract(clock, last_complete_month(clock))
        except DagRunFailed as failure:  # the summary still shows how far it got
            console.print(f"[bold red]{failure}")
        timings.update(runner.timings)
    finally:
        sim.stop()
    period = last_complete_month(clock)

    from creditlake.orchestration.summary import print_summary

    timings["total"] = time.perf_counter() - started
    summary = print_summary(console, root, period, runner.results, timings)
    (root / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    if any(state != "success" for state in runner.results.values()):
        raise SystemExit(1)
    return summary


def _meta_differs(meta: Path, seed: int, enterprises: int, months: int) -> bool:
    data = json.loads(meta.read_text())
    return (data.get("seed"), data.get("enterprises"), data.get("months")) != (seed, enterprises, months)


def command(
    days: int = typer.Option(3, min=1, max=30, help="Simulated days to run from 1 November; 3 reaches the 3rd, when the monthly extract is due"),
    fresh: bool = typer.Option(True, help="Start with an empty warehouse and Airflow database"),
    enterprises: int = typer.Option(SIM_ENTERPRISES, min=10, help="Simulated enterprises"),
    months: int = typer.Option(SIM_MONTHS, min=13, max=120, help="Months of history"),
) -> None:
    """Run the whole of creditlake through Airflow on embedded defaults, then print a summary."""
    run_demo(days=days, fresh=fresh, enterprises=enterprises, months=months)
