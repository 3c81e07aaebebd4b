"""Single sign-on in a real headless Chromium: the real server process (``maatjes run``), the real
provider on another site (``localhost`` against our ``127.0.0.1``), so the browser really drops the
SameSite=Strict cookie on the way back and the callback's same-site bounce has to work."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import Server, chromium, require_chromium
from tests.support.oidc import running_provider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
]


def test_sign_in_with_the_organisation_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    with running_provider(host="localhost") as provider:
        provider.set_user("gijs-7", email="gijs@example.org", email_verified=True, name="Gijs")
        env = {
            "MAATJES_WEB_SIGNIN": "oidc",
            "MAATJES_OIDC_ISSUER": provider.issuer,
            "MAATJES_OIDC_CLIENT_ID": "maatjes-browser",
            "MAATJES_OIDC_CLIENT_SECRET": "a-client-secret-for-browser-tests",
        }
        server = Server(tmp_path / "data", env)
        server.env["MAATJES_PUBLIC_URL"] = server.url
        server.start()
        try:
            with chromium() as browser:
                page = browser.new_page(locale="nl-NL")
                page.goto(f"{server.url}/")
                page.click("#oidc-signin")
                page.wait_for_url(f"{provider.issuer}/**")
                page.fill("input[name=sub]", "gijs-7")
                page.click("button[type=submit]:has-text('Authorize')")
                page.wait_for_url(f"{server.url}/")
                expect(page.locator("#who")).to_contain_text("Gijs")
                expect(page.locator("#transcript .from-bot").last).to_be_visible()
                page.click("#signout")
                expect(page.locator("#oidc-signin")).to_be_visible()
        finally:
            server.stop()
