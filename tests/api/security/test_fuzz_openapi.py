"""Property-based fuzzing of the whole OpenAPI document with schemathesis, against a real server.

One ``assembly serve`` process runs on 127.0.0.1 against the test's database, in which the security
world (two assemblies, a user in each of the nine roles, motions, an agenda, an open ballot) exists.
For every operation of the document schemathesis generates requests, valid or deliberately invalid,
each sent with the real token of a drawn role (or none) and, half the time, with the path pointing at
the world's real resources instead of random ids. Every answer must be:

- never a 5xx;
- a status and a body that the document declares for the operation (schema conformance);
- RFC 9457 problem details when it is an error.

The default run is bounded (``ASSEMBLY_FUZZ_EXAMPLES`` examples per operation, 3 by default) to keep the
suite within minutes; set ``ASSEMBLY_FUZZ_EXAMPLES=200`` for a long run on demand.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assembly.settings import Settings
from tests.api.security.authorization_matrix import ROLES
from tests.api.security.conftest import World
from tests.cli.conftest import command_env, free_port
from tests.integration.live.test_two_processes import _wait_ready

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("ASSEMBLY_FUZZ_EXAMPLES", "3"))

# Operations fuzzed last or not at all, and why.
STREAMS = {"StreamAssemblyEvents"}
"""Server-sent events never end; tests/integration/live drives the stream."""
SESSION_ENDERS = ("ChangePassword", "LogOut")
"""They end the role's session (a changed password revokes it): fuzzed after everything else."""


@schemathesis.check
def problem_details_on_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx answer is RFC 9457 problem details with the stable fields."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type.startswith("application/problem+json"), f"error without problem details: {content_type}"
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"] == f"urn:assembly:problem:{body['code']}", body
    assert body["title"], body
    assert body["detail"], body
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          problem_details_on_errors]


@pytest.fixture
def server(settings: Settings, world: World) -> Iterator[str]:
    """``assembly serve`` (one worker) on the test's database, with the secret the world's tokens were signed with."""
    port = free_port()
    env = command_env({"ASSEMBLY_DATABASE_URL": settings.require_database_url(),
                       "ASSEMBLY_SECRET_KEY": settings.require_secret_key(), "ASSEMBLY_LOG_LEVEL": "warning"})
    process = subprocess.Popen([sys.executable, "-m", "assembly", "serve", "--port", str(port), "--workers", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _fuzz_operation(operation: Any, base: str, world: World, http: requests.Session) -> None:
    # Valid requests (they reach the rules) and invalid ones (wrong types, missing fields, out of range).
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases, role=st.sampled_from(ROLES), real_ids=st.booleans())
    def run(case: Any, role: str, real_ids: bool) -> None:
        if real_ids and case.path_parameters:
            for name in case.path_parameters:
                if name in world.ids:
                    case.path_parameters[name] = world.ids[name]
        headers = dict(world.headers[role])
        case.call_and_validate(base_url=base, session=http, headers=headers, checks=CHECKS, timeout=30)

    run()


def test_the_whole_api_survives_fuzzing(server: str, world: World) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    by_id = {operation.definition.raw.get("operationId"): operation for operation in operations}
    assert {"CastVotes", "LogIn", "CreateMotion"} <= set(by_id), sorted(by_id)
    ordered = [op for key, op in by_id.items() if key not in STREAMS and key not in SESSION_ENDERS]
    ordered += [by_id[key] for key in SESSION_ENDERS]
    with requests.Session() as http:
        for operation in ordered:
            _fuzz_operation(operation, server, world, http)
