"""`creditlake uscc` and the USCC functions every component shares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from creditlake.core import uscc

CLI = [str(Path(sys.executable).parent / "creditlake")]


def test_cli_prints_one_line_per_code_and_exits_1_when_any_is_invalid():
    run = subprocess.run(
        [*CLI, "uscc", "914403001922038216", "914403001922038217"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0] == "914403001922038216 valid"
    assert lines[1].startswith("914403001922038217 invalid: check digit")
    assert len(lines) == 2


def test_cli_exits_0_when_all_valid_and_normalises_case_and_spaces():
    run = subprocess.run(
        [*CLI, "uscc", "91110000600037341l", "9144 0300 1922 0382 16"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == ["91110000600037341L valid", "914403001922038216 valid"]


@pytest.mark.parametrize(
    "code, reason",
    [
        ("91440300192203821", "length 17, expected 18"),
        ("9144030019220382166", "length 19, expected 18"),
        ("9144030019220382I6", "not in the USCC alphabet"),
        ("91440300192203821O", "not in the USCC alphabet"),
        ("A14403001922038216", "expected '5'"),
        ("914403001922038217", "expected '6'"),
    ],
)
def test_each_kind_of_invalid_code_gets_its_reason(code, reason):
    assert reason in uscc.check(code)


@pytest.mark.parametrize("body", ["A1440300192203821", "N2110000MA0123456", "Y1440300MA5FABCDE"])
def test_letters_lead_valid_codes_as_the_contract_allows(body):
    # Registration authorities such as N (agriculture) or Y (other) lead real codes: the
    # contract asks for the alphabet and the check digit, not digits in positions 1-8.
    assert uscc.is_valid(body + uscc.check_char(body))


def test_vectorised_check_digits_agree_with_the_single_code_function():
    rng = np.random.default_rng(3)
    bodies = rng.integers(0, 31, size=(500, 17))
    checks = uscc.check_chars(bodies)
    for body, chk in zip(bodies, checks):
        text = "".join(uscc.ALPHABET[i] for i in body)
        assert uscc.check_char(text) == uscc.ALPHABET[chk]
        assert uscc.is_valid(text + uscc.ALPHABET[chk])


def test_legacy_registration_numbers_carry_a_mod_11_10_check_digit():
    body = "44030010003456"
    good = body + uscc.legacy_check_digit(body)
    assert uscc.is_valid_legacy(good)
    wrong = body + str((int(good[-1]) + 1) % 10)
    assert not uscc.is_valid_legacy(wrong)
    assert not uscc.is_valid_legacy("12345")
