"""Property-based tests of the running gateway against docs/openapi.yaml (schemathesis).

Schemathesis generates valid and invalid requests from the document; every
response must match it: a declared status, the declared content type, a
body that validates against the schema, no 5xx, and invalid data refused.
The gateway runs in front of the real servers, so accepted speech requests
really synthesize.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import NegativeDataRejectionConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from local_voice_harness.paths import REPO_ROOT

pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_path(REPO_ROOT / "docs" / "openapi.yaml")
# Invalid data must be refused; over a size cap the right refusal is 413, a
# wrong content type 415 (schemathesis' default list omits both).
schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
    expected_statuses=["400", "403", "413", "415", "422"]
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_gateway_conforms_to_its_openapi_document(case: schemathesis.Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, checks=CHECKS, timeout=30)
