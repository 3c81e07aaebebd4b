"""The web chat and the dashboard in a real headless Chromium against the real server process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium, require_chromium, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _chromium_available() -> None:
    require_chromium()


def bot_says(page: Page, text: str) -> None:
    expect(page.locator("#transcript .from-bot").filter(has_text=text).last).to_be_visible()


def click(page: Page, label: str) -> None:
    # as type_answer: wait for the answer, or a next step made meanwhile is not sent at all
    with page.expect_response(lambda r: r.url.endswith("/api/chat") and r.request.method == "POST"):
        page.locator("#transcript li:last-child button.choice", has_text=label).first.click()


def type_answer(page: Page, text: str) -> None:
    # The page sends one turn at a time (a send while the last is on its way is not made), so
    # wait for the server's answer before the next step, as a person waits for the reply.
    page.fill("#message", text)
    with page.expect_response(lambda r: r.url.endswith("/api/chat") and r.request.method == "POST"):
        page.click("#send")


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(url)
    page.fill("#signin-name", name)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#transcript .from-bot").first).to_be_visible()


def test_intake_in_the_browser_survives_reload_and_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with chromium() as browser:
        page = browser.new_page(locale="nl-NL")
        server_cm = running_server(data)
        server = server_cm.__enter__()
        try:
            sign_in(page, server.url, "Marieke")
            bot_says(page, "zoek maatjes")
            click(page, "Ja, dat mag")
            bot_says(page, "Hoe heet je?")
            type_answer(page, "Marieke Hofstede")
            bot_says(page, "Bij welke organisatie werk je?")
            type_answer(page, "Gemeente Zwolle")
            click(page, "Gemeente")
            click(page, "Regionale ambtenaar")
            click(page, "Overijssel")
            last = page.locator("#transcript li:last-child")
            last.get_by_label("Bouw").check()
            last.get_by_label("Kunststoffen").check()
            last.get_by_role("button", name="Verstuur keuze").click()
            bot_says(page, "In welke fase zit je opgave?")
        finally:
            server.stop()
        # A new server process on the same database; the page reloads and carries on.
        server.start()
        try:
            page.reload()
            bot_says(page, "In welke fase zit je opgave?")
            expect(page.locator("#transcript li:last-child")).to_contain_text(
                "In welke fase zit je opgave?"
            )
            (
                expect(page.locator("#transcript")).to_contain_text("Gemeente Zwolle"),
                "this tab's transcript",
            )
            click(page, "Experimenteren")
            type_answer(page, "Een circulair viaduct met hergebruikte liggers.")
            type_answer(page, "Iemand bij het rijk die circulair inkopen kent.")
            type_answer(page, "Een netwerk van aannemers in Overijssel.")
            click(page, "Sla over")
            click(page, "Maandelijks")
            click(page, "Nederlands")
            expect(page.locator("#transcript .card").last).to_contain_text("Marieke Hofstede")
            page.locator("#transcript li:last-child button.choice", has_text="Klopt").click()
            bot_says(page, "Je profiel is opgeslagen")
            page.reload()
            bot_says(page, "Je profiel is compleet")
        finally:
            server.stop()
        rows = json.loads(server.cli("people", "--json").stdout)
        assert [(r["name"], r["group"], r["language"], r["themes"]) for r in rows] == [
            ("Marieke Hofstede", "regionaal", "nl", ["kunststoffen", "bouw"])
        ]


def test_typed_markup_stays_text_and_long_answers_are_kept(tmp_path: Path) -> None:
    payload = "<img src=x onerror=window.__pwned=1><script>window.__pwned=2</script>"
    with running_server(tmp_path / "data") as server, chromium() as browser:
        page = browser.new_page(locale="nl-NL")
        sign_in(page, server.url, payload)
        expect(page.locator("#who")).to_contain_text(payload)
        click(page, "Ja, dat mag")
        type_answer(page, payload)
        bot_says(page, "Bij welke organisatie werk je?")
        expect(page.locator("#transcript .from-person").last).to_have_text(payload)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("#transcript img").count() == 0
        type_answer(page, "Provincie Utrecht")
        click(page, "Provincie")
        click(page, "Regionale ambtenaar")
        click(page, "Utrecht")
        type_answer(page, "bouw")
        click(page, "Verkennen")
        long = "kiem " * 2000
        page.fill("#message", long)
        expect(page.locator("#counter")).to_contain_text("-8000")
        page.click("#send")
        bot_says(page, "het maximum is 2000")
        assert page.input_value("#message") == long, "nothing the person typed is lost"


def test_switching_to_english(tmp_path: Path) -> None:
    with running_server(tmp_path / "data") as server, chromium() as browser:
        page = browser.new_page(locale="nl-NL")
        sign_in(page, server.url, "Sam")
        type_answer(page, "language")
        click(page, "English")
        bot_says(page, "I’ll talk to you in English")
        bot_says(page, "May I keep your profile")
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#send")).to_have_text("Send")


def test_a_coordinator_reviews_a_round_in_the_dashboard(tmp_path: Path) -> None:
    env = {"MAATJES_COORDINATORS": "local:tessa"}
    data = tmp_path / "data"
    with running_server(data, env) as server, chromium() as browser:
        assert server.cli("demo").returncode == 0
        done = server.cli(
            "coordinator", "password", "tessa", "--password-stdin", stdin="een lang wachtwoord\n"
        )
        assert done.returncode == 0, done.stderr
        from tests.support.browser import seed_round

        round_id = seed_round(data)
        page = browser.new_page(locale="nl-NL")
        page.goto(f"{server.url}/dashboard")
        expect(page).to_have_url(f"{server.url}/dashboard/login")
        page.fill("#username", "tessa")
        page.fill("#password", "fout")
        page.click("form.stack button[type=submit]")
        expect(page.locator("#login-error")).to_be_visible()
        page.fill("#username", "tessa")
        page.fill("#password", "een lang wachtwoord")
        page.click("form.stack button[type=submit]")
        expect(page.locator("#stat-total")).to_have_text("76")
        expect(page.locator("figure.chart")).to_have_count(4)
        page.goto(f"{server.url}/dashboard/rounds/{round_id}")
        first = page.locator("#group-1")
        expect(first).to_contain_text("voorstel")
        first.get_by_role("button", name="Goedkeuren en introduceren").click()
        expect(page.locator("#group-1")).to_contain_text("geïntroduceerd")
        second = page.locator("#group-2")
        second.get_by_label("Reden").fill("Kennen elkaar al goed")
        second.get_by_role("button", name="Afwijzen").click()
        expect(page.locator("#group-2")).to_contain_text("Kennen elkaar al goed")
        outbox = json.loads(server.cli("outbox", "--json").stdout)
        assert sorted({e["kind"] for e in outbox}) == ["follow_up", "introduction", "left_out"]
        page.goto(f"{server.url}/dashboard/network")
        expect(page.locator("svg.network circle")).to_have_count(2)


def test_a_swap_in_the_dashboard_and_a_group_conversation_in_the_web_chat(
    tmp_path: Path,
) -> None:
    # the light embedder: the swap's list, preview and change each score the whole round
    env = {"MAATJES_COORDINATORS": "local:tessa", "MAATJES_EMBEDDER": "tfidf"}
    data = tmp_path / "data"
    with running_server(data, env) as server, chromium() as browser:
        assert server.cli("demo").returncode == 0
        server.cli(
            "coordinator", "password", "tessa", "--password-stdin", stdin="een lang wachtwoord\n"
        )
        from tests.support.browser import seed_round

        round_id = seed_round(data, with_local="Anna")
        page = browser.new_page(locale="nl-NL")
        page.goto(f"{server.url}/dashboard/login")
        page.fill("#username", "tessa")
        page.fill("#password", "een lang wachtwoord")
        page.click("form.stack button[type=submit]")
        page.goto(f"{server.url}/dashboard/rounds/{round_id}")
        page.locator("#group-2 a.swap").first.click()
        expect(page.locator("h1")).to_contain_text("Anders indelen")
        page.get_by_role("button", name="Laat zien wat het doet").click()
        expect(page.locator("#swap-preview")).to_contain_text("de score gaat van")
        page.get_by_role("button", name="Ja, deel zo in").click()
        expect(page).to_have_url(f"{server.url}/dashboard/rounds/{round_id}#group-2")
        assert server.cli("round", "approve", str(round_id)).returncode == 0
        assert server.cli("deliver").returncode == 0

        chat = browser.new_page(locale="nl-NL")
        sign_in(chat, server.url, "Anna")
        link = chat.locator("#transcript a[href^='/groups/']").first
        expect(link).to_be_visible()
        link.click()
        expect(chat.locator("h2")).to_have_text("Jullie groepsgesprek")
        chat.fill("#post-text", "<i>Hallo</i> allemaal, zullen we volgende week bellen?")
        chat.click("#post-send")
        expect(chat.locator("#posts .post.me .body")).to_have_text(
            "<i>Hallo</i> allemaal, zullen we volgende week bellen?"
        )


def test_my_data_downloads_and_forget_me_erases_in_the_browser(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with chromium() as browser, running_server(data) as server:
        page = browser.new_page(locale="nl-NL", accept_downloads=True)
        sign_in(page, server.url, "Sanne")
        click(page, "Ja, dat mag")
        type_answer(page, "Sanne Zeldzaam-Marker")
        type_answer(page, "privacy")
        bot_says(page, "Jouw toestemmingen")
        page.locator("#transcript button.choice", has_text="Mijn gegevens").last.click()
        link = page.locator("#transcript a.export-link").last
        expect(link).to_be_visible()
        # The link opens a page with one button (opening it spends nothing); the button downloads.
        with page.expect_popup() as opened:
            link.click()
        landing = opened.value
        button = landing.get_by_role("button", name="Download mijn gegevens")
        with landing.expect_download() as download:
            button.click()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert exported["profile_history"][0]["value"] == "Sanne Zeldzaam-Marker"
        assert exported["consents"][0]["purpose"] == "matching"
        # It works once: the same link again says it was used and hands out nothing.
        response = landing.goto(server.url + (link.get_attribute("href") or ""))
        assert response is not None and response.status == 410
        expect(landing.locator("body")).to_contain_text("al gebruikt")
        assert "Zeldzaam-Marker" not in landing.content()
        landing.close()

        type_answer(page, "vergeet mij")
        click(page, "Ja, wis alles")
        bot_says(page, "alles wat ik over je bewaarde is gewist")
        raw = b"".join(p.read_bytes() for p in data.glob("maatjes.db*"))
        assert b"Zeldzaam-Marker" not in raw
