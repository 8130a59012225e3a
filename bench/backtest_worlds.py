"""The scorecard's acceptance backtest: worlds of different profiles, each generated longer than
it is served, through the whole pipeline, scored where the pipeline stops, judged by what
happens after.

    python -m bench.backtest_worlds [--enterprises 5000] [--months 36] [--unseen-days 366]
        [--worlds tax_first:11,electricity_first:12,supply_chain_first:13] [--default-rate 0.03]

Per world: generate (the simulator's profile and seed); serve only up to the simulator's clock
(`--months` of history; the `--unseen-days` after it are generated, never served); bulk
backfill every platform and the bank's drop through the connectors; dbt build; `creditlake
model fit` with the deployment's settings (a cold start is reported as such); a second build
when it promoted a card; then `creditlake backtest` against the truth, the cards side by side
at the last served month against the defaults of the unseen year. Finally every fitted card is
scored on every other world's last served month: the drop when the profile changes.
Figures go to .bench/worlds/<world>/backtest.json and are printed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from creditlake.core.config import PROJECT_ROOT, environment


def build_world(root: Path, profile: str, seed: int, args) -> dict:
    from creditlake.connectors.ingest import run_ingest
    from creditlake.core.contract import PLATFORMS
    from creditlake.simulator.generator import generate
    from creditlake.simulator.server import SimulatorServer

    sim = root / "sim"
    timings = {}
    started = time.perf_counter()
    if not (sim / "meta.json").exists():
        generate(
            out=sim, seed=seed, enterprises=args.enterprises, months=args.months,
            future_days=args.unseen_days, profile=profile, default_rate=args.default_rate,
            quiet=True,
        )  # fmt: skip
    timings["generate"] = time.perf_counter() - started
    with SimulatorServer(sim, seed=seed, fault_rate=0.0, drop=root / "drop") as server:
        env = dict(line.removeprefix("export ").split("=", 1) for line in server.env_lines())
        env |= {"CREDITLAKE_WAREHOUSE": str(root / "warehouse"), "CREDITLAKE_PII_KEY": "worlds"}
        with environment(env):
            started = time.perf_counter()
            for platform in PLATFORMS:
                run_ingest(platform, mode="snapshot")
            timings["backfill"] = time.perf_counter() - started
    return env, timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36, help="months served")
    parser.add_argument("--unseen-days", type=int, default=366, help="generated, never served")
    parser.add_argument("--default-rate", type=float, default=0.03)
    parser.add_argument(
        "--worlds", default="tax_first:11,electricity_first:12,supply_chain_first:13"
    )
    args = parser.parse_args(argv)

    from creditlake import backtest
    from creditlake.model import run as model
    from creditlake.model.metrics import auc_ks
    from creditlake.transform import build, published_db

    results = {}
    fitted = {}  # world -> the card it fitted (promoted or not)
    for spec in args.worlds.split(","):
        profile, seed = spec.split(":")
        name = f"{profile}-{seed}-{args.enterprises}x{args.months}"
        root = PROJECT_ROOT / ".bench" / "worlds" / name
        print(f"== {name}", flush=True)
        env, timings = build_world(root, profile, int(seed), args)
        with environment(env):
            started = time.perf_counter()
            first = build(show_progress=False)
            assert first.success, first.failures
            timings["first_build"] = time.perf_counter() - started
            started = time.perf_counter()
            decisions = model.monthly(echo=lambda line: print("   " + line, flush=True))
            decision = decisions["scorecard"]
            timings["fit"] = time.perf_counter() - started
            if any(d["outcome"] == "promoted" for d in decisions.values()):
                started = time.perf_counter()
                assert build(show_progress=False).success
                timings["rescore_build"] = time.perf_counter() - started
            figures = backtest.run(published_db(), root / "sim" / "truth")
            figures |= {"decisions": decisions, "timings": timings}
            if decision.get("challenger_version"):
                import duckdb

                with duckdb.connect(str(published_db()), read_only=True) as con:
                    fitted[name] = model.load_card(con, decision["challenger_version"])
        (root / "backtest.json").write_text(json.dumps(figures, indent=2, default=str))
        print(backtest.report(figures), flush=True)
        print(
            "   timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()), flush=True
        )
        results[name] = (env, figures)

    # Fit on one profile, score on another: each fitted card on each world's last served month.
    import duckdb

    for name, (env, figures) in results.items():
        truth = PROJECT_ROOT / ".bench" / "worlds" / name / "sim" / "truth"
        with environment(env), duckdb.connect(str(published_db()), read_only=True) as con:
            cohort = figures["as_of_period"]
            con.execute(
                f"CREATE TEMP VIEW truth_enterprises AS SELECT * FROM "
                f"read_parquet('{truth / 'enterprises.parquet'}')"
            )
            obs = backtest.cohort_observations(con, cohort)
        labels = obs.column("truth_defaulted").to_pylist()
        for card_world, card in fitted.items():
            auc, ks = auc_ks(card.score(obs), labels)
            print(f"   card of {card_world} on {name} at {cohort}: AUC {auc:.3f}, KS {ks:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
