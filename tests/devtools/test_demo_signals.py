"""SIGTERM and SIGINT stop a real `creditlake demo` within 10 s and leave no process behind.

The demo runs as it would from a terminal (its own session, a private CREDITLAKE_DEMO_DIR,
wrong credentials in its environment as in the original report). Just before the signal
the test notes every process that belongs to the demo: its session, its descendants (the
simulator and the Airflow runner lead sessions of their own) and any process whose
environment names this demo's folder. After the demo exits, none of them may be alive.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

CREDITLAKE = str(Path(sys.executable).with_name("creditlake"))


def _processes() -> dict[int, dict]:
    """pid -> ppid, sid, state, cmdline and environment of every process we may read."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                environ = []
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        out[int(entry.name)] = {
            "state": fields[0],
            "ppid": int(fields[1]),
            "sid": int(fields[3]),
            "cmdline": cmdline,
            "environ": environ,
        }
    return out


def _belonging_to(demo_pid: int, marker: bytes) -> dict[int, str]:
    procs = _processes()
    mine = {pid for pid, p in procs.items() if p["sid"] == demo_pid or marker in p["environ"]}
    grew = True
    while grew:  # descendants, whatever session they lead
        more = {pid for pid, p in procs.items() if p["ppid"] in mine | {demo_pid}} - mine
        grew = bool(more)
        mine |= more
    return {pid: procs[pid]["cmdline"] for pid in mine if procs[pid]["state"] != "Z"}


def _alive(pids) -> dict[int, str]:
    procs = _processes()
    return {
        pid: procs[pid]["cmdline"] for pid in pids if pid in procs and procs[pid]["state"] != "Z"
    }


class Demo:
    """`creditlake demo` at the smallest size, in a session of its own, output collected."""

    def __init__(self, tmp_path: Path):
        self.dir = tmp_path / "demo"
        env = {
            **os.environ,
            "CREDITLAKE_DEMO_DIR": str(self.dir),
            "CREDITLAKE_TAX_CLIENT_ID": "nope",
            "CREDITLAKE_TAX_CLIENT_SECRET": "nope",
        }
        self.proc = subprocess.Popen(
            [CREDITLAKE, "demo", "--enterprises", "10", "--months", "13", "--days", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace"))

    def wait_for_log(self, text: str, timeout: float = 600) -> None:
        """Until the demo's log file (the children's output) holds `text`."""
        log = self.dir / "demo.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the demo ended early:\n" + "".join(self.lines)
            if log.exists() and text in log.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise AssertionError(
            f"no {text!r} in {log} within {timeout:.0f} s:\n" + "".join(self.lines)
        )

    def stop(self, how) -> tuple[float, dict[int, str]]:
        """Signal the demo; seconds until it exited, and what of it was running just before."""
        running = _belonging_to(self.proc.pid, f"CREDITLAKE_DEMO_DIR={self.dir}".encode())
        started = time.monotonic()
        how(self.proc.pid)
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:  # the test failed: do not leave it running either
                os.killpg(self.proc.pid, signal.SIGKILL)
        seconds = time.monotonic() - started
        time.sleep(0.5)  # the output reader takes the last line
        return seconds, running


def _assert_stopped(demo: Demo, seconds: float, running: dict[int, str], signum: int) -> None:
    out = "".join(demo.lines)
    assert any("simulator serve" in c for c in running.values()), (
        running
    )  # the check saw the children
    assert any("creditlake.devtools.runner" in c for c in running.values()), running
    assert seconds < 10, f"{seconds:.1f} s"
    assert demo.proc.returncode == 128 + signum, out[-3000:]
    name = signal.Signals(signum).name
    assert out.strip().splitlines()[-1].startswith(f"creditlake demo: stopped by {name}; "), out[
        -3000:
    ]
    left = _alive(running)
    left.update(_belonging_to(demo.proc.pid, f"CREDITLAKE_DEMO_DIR={demo.dir}".encode()))
    assert left == {}, left
    shown = "; ".join(
        sorted(
            " ".join(Path(w).name if i == 0 else w for i, w in enumerate(c.split()[1:5]))
            for c in running.values()
        )
    )
    print(
        f"{name}: exited {demo.proc.returncode} after {seconds:.1f} s; {len(running)} processes were running "
        f"({shown}); left: 0"
    )


@pytest.mark.slow
def test_sigterm_while_a_dag_task_runs_ends_everything_within_10_s(tmp_path):
    demo = Demo(tmp_path)
    # A task is running inside dag.test(): Airflow's task runner has its own SIGTERM handler now.
    demo.wait_for_log("[DAG TEST] running task")
    time.sleep(1)
    seconds, running = demo.stop(lambda pid: os.kill(pid, signal.SIGTERM))
    _assert_stopped(demo, seconds, running, signal.SIGTERM)


@pytest.mark.slow
def test_sigint_while_airflow_migrates_ends_everything_within_10_s(tmp_path):
    demo = Demo(tmp_path)
    # The runner is migrating Airflow's database: an `airflow db migrate` grandchild runs.
    demo.wait_for_log('"step": "airflow_db"')
    time.sleep(3)
    # Ctrl-C in a terminal: SIGINT to the foreground process group, which is the demo's alone.
    seconds, running = demo.stop(lambda pid: os.killpg(pid, signal.SIGINT))
    _assert_stopped(demo, seconds, running, signal.SIGINT)
    assert any(" db migrate" in c or " pools set" in c for c in running.values()), running
