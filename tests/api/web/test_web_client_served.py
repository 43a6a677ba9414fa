"""The web client is served by the app itself, to anyone, under a strict content security policy."""

from __future__ import annotations

import httpx

from assembly.web.controllers import WEB_CSP


async def test_the_client_is_public_with_its_own_csp_and_the_api_keeps_its_own(client: httpx.AsyncClient) -> None:
    page = await client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/app/js/main.js">' in page.text
    assert page.headers["content-security-policy"] == WEB_CSP
    assert "'unsafe-inline'" not in WEB_CSP
    script = await client.get("/app/js/views/delegate.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    catalogue = await client.get("/app/i18n/fr.json")
    assert catalogue.json()["ballot.confirm"] == "Confirmer et voter"
    root = await client.get("/")
    assert root.status_code == 302
    assert root.headers["location"] == "/app/"
    api = await client.get("/health/ready")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_no_file_outside_the_client_directory_is_served(client: httpx.AsyncClient) -> None:
    for path in ("/app/../controllers.py", "/app/%2e%2e/controllers.py", "/app/nothing.js"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "def web_client_router" not in response.text
