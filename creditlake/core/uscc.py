"""Unified Social Credit Code (GB 32100-2015) and legacy registration numbers.

One implementation for the whole project: the `creditlake uscc` command, the
connectors' validation and the simulator's generator all call these functions.
`check_chars` is the vectorised form the validation and the generator use on millions
of codes.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weight of position i is 3**i mod 31 (GB 32100-2015, section 5).
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def normalise(code: str) -> str:
    """Upper-case and drop spaces and hyphens (codes are often typed that way)."""
    return "".join(code.split()).replace("-", "").upper()


def check(code: str) -> str | None:
    """Return None if `code` is a valid USCC, else a short reason.

    The contract (section 2) asks for 18 characters of the alphabet and the check digit,
    nothing more: registration-authority codes such as 'N' or 'Y' lead real codes, so the
    first 8 characters are not required to be digits."""
    code = normalise(code)
    if len(code) != 18:
        return f"length {len(code)}, expected 18"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"character(s) {''.join(bad)!r} not in the USCC alphabet"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"check digit {code[17]!r} wrong, expected {expected!r}"
    return None


def is_valid(code: str) -> bool:
    return check(code) is None


def check_char(body17: str) -> str:
    """The 18th character for a 17-character body."""
    total = sum(_VALUE[ch] * w for ch, w in zip(body17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def check_chars(bodies: np.ndarray) -> np.ndarray:
    """Vectorised `check_char`: `bodies` is an (n, 17) array of alphabet indices."""
    totals = (bodies.astype(np.int64) * WEIGHTS).sum(axis=1)
    return (31 - totals % 31) % 31


# Legacy 15-digit registration numbers (pre-2015). Most end in an ISO 7064 MOD 11,10 check
# digit (GS15); some older ones do not and are still valid (contract section 2), so a failed
# check is an observation, never a reason to drop a record.
def legacy_check_digit(body14: str) -> str:
    p = 10
    for ch in body14:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    return str((11 - p) % 10)


def is_valid_legacy(number: str) -> bool:
    number = normalise(number)
    return len(number) == 15 and number.isdigit() and legacy_check_digit(number[:14]) == number[14]
