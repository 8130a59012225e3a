"""schemathesis over the service's own OpenAPI schema, against the real service on a loopback
port: no input, valid or not, makes it answer 500. Every operation is tried as generated, and
once more with its USCC replaced by an enterprise the bank is authorised for, so the generated
purposes, languages and bodies reach the code behind the authorisation check too."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def schema(service, shared_enterprise):
    headers = {"Authorization": f"Bearer {service.keys['bank_a']}"}
    requests.post(f"{service.url}/v1/authorisations", headers=headers, timeout=10, json={
        "uscc": shared_enterprise, "purpose": "loan_application",
        "valid_from": str(date.today() - timedelta(days=1)),
        "valid_to": str(date.today() + timedelta(days=30)),
        "document_sha256": hashlib.sha256(b"fuzz").hexdigest(),
    }).raise_for_status()  # fmt: skip
    return schemathesis.openapi.from_url(f"{service.url}/openapi.json")


def test_no_input_makes_the_service_answer_500(schema, service, shared_enterprise):
    # schemathesis' own pytest loader (from_fixture) breaks on pytest 9: each operation runs
    # here as a Hypothesis test of its own instead
    headers = {"Authorization": f"Bearer {service.keys['bank_a']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9, [op.label for op in operations]

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def no_500(case):
            case.call_and_validate(
                base_url=service.url, headers=headers, checks=[not_a_server_error]
            )
            if "uscc" in (case.path_parameters or {}):
                case.path_parameters["uscc"] = shared_enterprise
                case.call_and_validate(
                    base_url=service.url, headers=headers, checks=[not_a_server_error]
                )

        no_500()
