"""A simulated world pulled into a warehouse through the real server and connectors, for the
dbt tests: conftest.py's session build, and tests that need a world of their own."""

from __future__ import annotations

from pathlib import Path

from creditlake.core.config import environment
from creditlake.core.contract import API_PLATFORMS

ENTERPRISES, MONTHS, SEED = 200, 14, 7


def ingest_world(
    root: Path,
    banks: tuple[str, ...] = (),
    enterprises: int = ENTERPRISES,
    months: int = MONTHS,
    **options,
) -> tuple[Path, dict[str, str]]:
    """Generate a world under root (generate()'s options, e.g. quarantined_enterprises), serve it
    and pull every platform through the connectors into root/warehouse; `banks` share the
    loan book, each with its drop folder (contract section 5). Returns (sim dir, the
    environment a build of that warehouse needs); os.environ is left as it was."""
    from creditlake.connectors.ingest import run_ingest
    from creditlake.core.contract import PLATFORMS
    from creditlake.simulator.generator import generate
    from creditlake.simulator.server import SimulatorServer

    sim = root / "sim"
    generate(out=sim, seed=SEED, enterprises=enterprises, months=months, **options)
    env = {
        "CREDITLAKE_WAREHOUSE": str(root / "warehouse"),
        "CREDITLAKE_BANK_DROP": str(root / "drop"),
        "CREDITLAKE_PII_KEY": "test-pii-key",
        **({"CREDITLAKE_BANKS": ",".join(banks)} if banks else {}),
    }
    with SimulatorServer(sim, seed=SEED, drop=root / "drop", banks=banks) as server:
        pull = dict(env)
        for platform in API_PLATFORMS:
            client_id, secret = server.credentials[platform.name]
            pull[f"{platform.env_prefix}_BASE_URL"] = server.url
            pull[f"{platform.env_prefix}_CLIENT_ID"] = client_id
            pull[f"{platform.env_prefix}_CLIENT_SECRET"] = secret
        with environment(pull):
            for platform in PLATFORMS:
                run_ingest(platform)
    return sim, env
