"""The regulator's configuration: thresholds and delivery, from the environment.

CREDITLAKE_INCLUSIVE_CREDIT_LIMIT     single-borrower credit boundary in CNY (default 10,000,000)
CREDITLAKE_NPL_TOLERANCE_PP           inclusive NPL may exceed the bank's by this many
                                      percentage points (default 3)
CREDITLAKE_NEW_LOAN_RATE_CEILING      average rate ceiling for new inclusive loans, e.g. 0.0450;
                                      default: the previous year's average (rate "controlled")
CREDITLAKE_REGULATOR_ENTERPRISE_IDS   "identified" (USCC, default) or "pseudonymised"
CREDITLAKE_REGULATOR_PSEUDONYM_KEY    HMAC key for pseudonymised enterprise ids
CREDITLAKE_REGULATOR_DROP             drop folder (default WAREHOUSE/extracts)
CREDITLAKE_REGULATOR_ENDPOINT         if set, every extract is POSTed there
CREDITLAKE_REGULATOR_TOKEN            bearer token for the endpoint (optional)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from creditlake.core.config import env, warehouse_dir

ID_MODES = ("identified", "pseudonymised")


class ExtractConfigError(Exception):
    """The regulator configuration is missing or wrong."""


@dataclass(frozen=True)
class RegulatorConfig:
    inclusive_credit_limit: Decimal = Decimal("10000000")
    npl_tolerance_pp: Decimal = Decimal("3")
    new_loan_rate_ceiling: Decimal | None = None
    enterprise_ids: str = "identified"
    pseudonym_key: str | None = None
    drop_dir: Path = Path("extracts")
    endpoint: str | None = None
    token: str | None = None

    def fingerprint(self) -> dict:
        """What shapes the files (recorded in the manifest); secrets and delivery excluded."""
        shown = {
            k: (str(v) if v is not None else None)
            for k, v in asdict(self).items()
            if k
            in (
                "inclusive_credit_limit",
                "npl_tolerance_pp",
                "new_loan_rate_ceiling",
                "enterprise_ids",
            )
        }
        if self.pseudonym_key:
            shown["pseudonym_key_sha256"] = hashlib.sha256(self.pseudonym_key.encode()).hexdigest()[
                :16
            ]
        return shown


def _decimal(name: str, default: str | None) -> Decimal | None:
    value = env(name, default)
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ExtractConfigError(f"{name}={value!r} is not a number") from None
    if number < 0:
        raise ExtractConfigError(f"{name}={value!r} must not be negative")
    return number


def load_config() -> RegulatorConfig:
    ids = env("CREDITLAKE_REGULATOR_ENTERPRISE_IDS", "identified")
    if ids not in ID_MODES:
        raise ExtractConfigError(
            f"CREDITLAKE_REGULATOR_ENTERPRISE_IDS={ids!r}; expected one of {', '.join(ID_MODES)}"
        )
    key = env("CREDITLAKE_REGULATOR_PSEUDONYM_KEY")
    if ids == "pseudonymised" and not key:
        raise ExtractConfigError(
            "pseudonymised enterprise ids need CREDITLAKE_REGULATOR_PSEUDONYM_KEY"
        )
    return RegulatorConfig(
        inclusive_credit_limit=_decimal("CREDITLAKE_INCLUSIVE_CREDIT_LIMIT", "10000000"),
        npl_tolerance_pp=_decimal("CREDITLAKE_NPL_TOLERANCE_PP", "3"),
        new_loan_rate_ceiling=_decimal("CREDITLAKE_NEW_LOAN_RATE_CEILING", None),
        enterprise_ids=ids,
        pseudonym_key=key,
        drop_dir=Path(env("CREDITLAKE_REGULATOR_DROP", str(warehouse_dir() / "extracts"))),
        endpoint=env("CREDITLAKE_REGULATOR_ENDPOINT"),
        token=env("CREDITLAKE_REGULATOR_TOKEN"),
    )


def describe(config: RegulatorConfig) -> str:
    return json.dumps(config.fingerprint(), sort_keys=True)
