"""No secret leaves the server: not in its logs, not in the OpenAPI document, not in an error body.

A real ``assembly serve`` runs at the most talkative log level (debug) with a database URL that carries
a password (the test server trusts local connections, so the password is never needed, only carried).
A session of requests exercises every path a secret takes: logging in (the password), a wrong
password, refreshing (the refresh token), reusing a refresh token, calls with the access token, bad
bodies with a password in them, and a malformed token. Afterwards the server's whole output, the
OpenAPI document and every response body are searched for each secret.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile

import httpx
import pytest
from sqlalchemy.engine import make_url

from assembly.settings import Settings
from tests.api.security.conftest import World
from tests.cli.conftest import command_env, free_port
from tests.helpers import TEST_PASSWORD
from tests.integration.live.test_two_processes import _wait_ready

pytestmark = pytest.mark.slow

DB_PASSWORD = "db-pass-Zq7f-never-logged"
WRONG_PASSWORD = "wrong-pass-Kx9m-never-logged"
NEW_PASSWORD = "new-pass-Lw3n-never-logged-at-all"


def test_no_secret_in_logs_openapi_or_error_bodies(settings: Settings, world: World) -> None:
    url = make_url(settings.require_database_url()).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    secret_key = settings.require_secret_key()
    port = free_port()
    env = command_env({"ASSEMBLY_DATABASE_URL": url, "ASSEMBLY_SECRET_KEY": secret_key, "ASSEMBLY_LOG_LEVEL": "debug"})
    with tempfile.TemporaryFile(mode="w+") as output:
        process = subprocess.Popen([sys.executable, "-m", "assembly", "serve", "--port", str(port), "--workers", "1"],
                                   env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        bodies: list[str] = []
        secrets = {"database password": DB_PASSWORD, "secret key": secret_key, "password": TEST_PASSWORD,
                   "wrong password": WRONG_PASSWORD, "new password": NEW_PASSWORD}
        try:
            _wait_ready(base, process)
            with httpx.Client(base_url=base, timeout=10) as http:
                def send(method: str, path: str, **kwargs: object) -> httpx.Response:
                    response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
                    bodies.append(response.text)
                    return response

                email = world.observer_email
                assert send("POST", "/api/auth/login", json={"email": email, "password": WRONG_PASSWORD}
                            ).status_code == 401
                login = send("POST", "/api/auth/login", json={"email": email, "password": TEST_PASSWORD})
                assert login.status_code == 200, login.text
                pair = login.json()
                secrets["access token"] = pair["access_token"]
                secrets["refresh token"] = pair["refresh_token"]
                bearer = {"Authorization": f"Bearer {pair['access_token']}"}
                assert send("GET", "/api/users/me", headers=bearer).status_code == 200
                renewed = send("POST", "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})
                assert renewed.status_code == 200, renewed.text
                secrets["renewed refresh token"] = renewed.json()["refresh_token"]
                # Reuse of the first refresh token: 401, and the whole family is revoked.
                assert send("POST", "/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}
                            ).status_code == 401
                # Bad bodies carrying a password, a malformed token, a password change refused.
                assert send("POST", "/api/auth/login", json={"email": email, "password": TEST_PASSWORD, "x": 1}
                            ).status_code == 422
                assert send("POST", "/api/auth/login", content=f'{{"password": "{TEST_PASSWORD}"',
                            headers={"content-type": "application/json"}).status_code == 400
                assert send("GET", "/api/users/me", headers={"Authorization": f"Bearer {pair['access_token']}x"}
                            ).status_code == 401
                assert send("POST", "/api/auth/password", headers=world.headers["observer"],
                            json={"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD}
                            ).status_code == 422
                document = send("GET", "/schema/openapi.json")
                assert document.status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.seek(0)
        logs = output.read()
    assert "request" in logs, "the server logged nothing: the search below would prove nothing"
    # The login responses carry the tokens by design; every other body must not.
    searched = [body for body in bodies if '"access_token"' not in body]
    for name, secret in secrets.items():
        assert secret not in logs, f"{name} in the server's log"
        for body in searched:
            assert secret not in body, f"{name} in a response body: {body[:200]}"
