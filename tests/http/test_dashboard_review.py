"""Reviewing a round in the dashboard as a coordinator does it: approving all remaining groups
only after a confirmation with the numbers, words that say proposal, approved or introduced,
every member's profile one click away (audited as reading), a people page, free swaps with
their effect on both groups, and the audit log in the page's language."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlmodel import Session

from bot.app import create_app
from bot.core.i18n import LOCALE_DIR
from bot.services.accounts import Accounts
from bot.services.audit_trail import ACTIONS, RESULTS
from bot.settings import Settings
from storage import audit, outbox, people, rounds
from storage.db import session_scope
from storage.models import Person
from tests import ROOT
from tests.support.community import community, proposed_round
from tests.support.dashboard import csrf_token, login


def _app(tmp_path: Path, **settings: object) -> TestClient:
    app = create_app(
        Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=tmp_path / "data",
            coordinators="local:tessa",
            admins="local:root",
            scheduler=False,
            **settings,
        )
    )
    accounts = Accounts(app.state.maatjes.engine)
    accounts.set_password("Tessa", "een lang wachtwoord")
    accounts.set_password("root", "het beheerderswachtwoord")
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _app(tmp_path) as client:
        yield client


def _engine(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.maatjes.engine  # type: ignore[attr-defined]


def _introductions(client: TestClient) -> int:
    with Session(_engine(client)) as session:
        return sum(1 for m in outbox.entries(session) if m.kind == "introduction")


def _text(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_approving_all_remaining_groups_asks_first_and_then_says_what_happened(
    client: TestClient,
) -> None:
    ids = community(_engine(client))
    round_id = proposed_round(_engine(client), ids)
    assert login(client) == 303
    shown = client.get(f"/dashboard/rounds/{round_id}").text
    assert "Niemand hoort iets tot je een groep goedkeurt" in shown
    assert f'href="/dashboard/rounds/{round_id}/approve-all"' in shown
    token = csrf_token(client, f"/dashboard/rounds/{round_id}")

    # the old one-click form (no confirmation) only shows the question now
    unconfirmed = client.post(f"/dashboard/rounds/{round_id}/approve", data={"csrf": token})
    assert unconfirmed.status_code == 200 and _introductions(client) == 0
    asked = client.get(f"/dashboard/rounds/{round_id}/approve-all")
    assert asked.status_code == 200
    assert "Je keurt 2 groepen goed, met samen 5 mensen" in asked.text
    assert 'name="confirm" value="yes"' in asked.text and 'name="groups" value="2"' in asked.text
    assert "Anna, Bram" in _text(asked.text), "the groups are listed by name"

    # a confirmation for another number of groups (the round changed meanwhile) does nothing
    stale = client.post(
        f"/dashboard/rounds/{round_id}/approve",
        data={"csrf": token, "confirm": "yes", "groups": "3"},
    )
    assert stale.status_code == 409 and "intussen veranderd" in stale.text
    assert _introductions(client) == 0

    done = client.post(
        f"/dashboard/rounds/{round_id}/approve",
        data={"csrf": token, "confirm": "yes", "groups": "2"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and _introductions(client) == 5
    after = client.get(done.headers["location"]).text
    assert "2 groepen (5 mensen) goedgekeurd; ze krijgen nu hun introductie." in after
    assert "Niemand hoort iets" not in after
    assert "Over deze ronde is besloten: 2 groepen goedgekeurd en geïntroduceerd" in after
    assert "goedgekeurd; ze krijgen" not in client.get(done.headers["location"]).text, "once"
    assert client.get(f"/dashboard/rounds/{round_id}/approve-all").status_code == 409
    assert client.get("/dashboard/rounds/999/approve-all").status_code == 404
    assert client.get("/dashboard/rounds/0/approve-all").status_code == 422


def test_approving_one_group_says_so_and_the_round_says_who_still_waits(
    client: TestClient,
) -> None:
    ids = community(_engine(client))
    round_id = proposed_round(_engine(client), ids)
    assert login(client) == 303
    token = csrf_token(client, f"/dashboard/rounds/{round_id}")
    approved = client.post(
        f"/dashboard/rounds/{round_id}/approve",
        data={"csrf": token, "group": "1"},
        follow_redirects=False,
    )
    assert approved.headers["location"] == f"/dashboard/rounds/{round_id}#group-1"
    done = client.get(approved.headers["location"])
    assert "Maatjes 1 is goedgekeurd; de 2 leden krijgen nu hun introductie." in done.text
    assert "1 groep is goedgekeurd en geïntroduceerd; 1 wacht nog" in done.text
    assert "Niemand hoort iets tot je een groep goedkeurt" not in done.text
    asked = client.get(f"/dashboard/rounds/{round_id}/approve-all").text
    assert "Je keurt 1 groep goed, met samen 3 mensen" in asked


def _dashboard_pages(client: TestClient, round_id: int, member: int) -> dict[str, str]:
    paths = [
        "/dashboard",
        "/dashboard/rounds",
        f"/dashboard/rounds/{round_id}",
        f"/dashboard/rounds/{round_id}/approve-all",
        f"/dashboard/rounds/{round_id}/groups/1/members/{member}",
        "/dashboard/people",
        f"/dashboard/people/{member}",
        "/dashboard/audit",
    ]
    return {path: client.get(path).text for path in paths}


def test_no_page_or_coordinator_text_says_voorgesteld(client: TestClient) -> None:
    """'Voorgesteld' meant both proposed and introduced: the dashboard says voorstel,
    goedgekeurd or geïntroduceerd instead (and proposal, approved, introduced)."""
    ids = community(_engine(client))
    round_id = proposed_round(_engine(client), ids)
    assert "voorgesteld" not in client.get("/dashboard/login").text.lower()
    assert login(client) == 303
    pages = _dashboard_pages(client, round_id, ids[0])
    token = csrf_token(client, f"/dashboard/rounds/{round_id}")
    client.post(f"/dashboard/rounds/{round_id}/approve", data={"csrf": token, "group": "1"})
    pages["after approving"] = client.get(f"/dashboard/rounds/{round_id}").text
    for path, html in pages.items():
        assert "voorgesteld" not in _text(html).lower(), path
    shown = _text(pages["after approving"])
    assert (
        "voorstel" in shown and "geïntroduceerd" in shown and "Goedkeuren en introduceren" in shown
    )
    for language, ambiguous in (("nl", "voorgesteld"), ("en", "proposed")):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "maatjes.po").open("rb") as fp:
            catalogue = {str(m.id): str(m.string) for m in read_po(fp) if m.id}
        for key, text in catalogue.items():
            if key.startswith(("dashboard.", "review.", "home.", "audit.")):
                assert ambiguous not in text.lower(), (language, key, text)


def test_a_coordinator_reads_each_members_profile_and_the_reading_is_audited(
    client: TestClient,
) -> None:
    engine = _engine(client)
    ids = community(engine)
    with session_scope(engine) as session:
        anna = session.get(Person, ids[0])
        assert anna is not None
        anna.works_on, anna.ongemak = "de inkoop van de provincie", "niemand durft te beginnen"
        session.add(anna)
    round_id = proposed_round(engine, ids)
    assert login(client) == 303
    review = client.get(f"/dashboard/rounds/{round_id}").text
    for person in ids:
        assert f'href="/dashboard/people/{person}?round={round_id}"' in review
    profile = client.get(f"/dashboard/people/{ids[0]}?round={round_id}")
    assert profile.status_code == 200
    text = _text(profile.text)
    for said in (
        "Anna zoekt",
        "Anna biedt",
        "de inkoop van de provincie",
        "niemand durft te beginnen",
        "Org Anna",
        "Regionale",
        f"Ronde {round_id}, Maatjes 1",
    ):
        assert said in text, said
    assert f'href="/dashboard/rounds/{round_id}"' in profile.text, "back to the review"
    with Session(engine) as session:
        events = audit.events(session)
    read = [e for e in events if e.action == "read_profile"]
    assert [(e.actor, e.object_id, e.origin) for e in read] == [
        ("local:tessa", str(ids[0]), "dashboard")
    ]
    assert not [e for e in events if e.action == "export"], "reading is not an export"
    assert client.get("/dashboard/people/99999").status_code == 404
    assert client.get("/dashboard/people/0").status_code == 422
    assert client.get("/dashboard/people/abc").status_code == 422
    assert client.get(f"/dashboard/people/{ids[0]}?round=x").status_code == 422
    client.cookies.clear()
    signed_out = client.get(f"/dashboard/people/{ids[0]}", follow_redirects=False)
    assert signed_out.status_code == 303 and "Anna zoekt" not in signed_out.text


def test_the_people_page_lists_searches_and_pages_everyone(client: TestClient) -> None:
    engine = _engine(client)
    ids = community(engine)
    with session_scope(engine) as session:
        for number in range(60):
            person = people.get_or_create_person(
                session, platform="local", platform_user_id=f"extra{number}", language="nl"
            )
            person.name, person.organisation = f"Zz Extra {number:02d}", "Gemeente 50%_Korting"
            session.add(person)
    assert login(client) == 303
    first = client.get("/dashboard/people")
    assert first.status_code == 200 and "65 gevonden" in first.text
    assert first.text.count('href="/dashboard/people/') == 50
    assert f'href="/dashboard/people/{ids[0]}"' in first.text, "sorted by name: Anna first"
    second = client.get("/dashboard/people?page=2").text
    assert second.count('href="/dashboard/people/') == 15 and "Zz Extra 59" in second
    assert "Pagina 2 van 2" in client.get("/dashboard/people?page=999").text
    found = client.get("/dashboard/people?q=BRAM").text
    assert "1 gevonden" in found and f'href="/dashboard/people/{ids[1]}"' in found
    assert "1 gevonden" in client.get("/dashboard/people?q=org+eva").text, "organisation too"
    assert "60 gevonden" in client.get("/dashboard/people?q=50%25_").text, "% and _ are text"
    assert "0 gevonden" in client.get("/dashboard/people?q=5_%25").text
    assert "5 gevonden" in client.get("/dashboard/people?theme=bouw").text
    assert "0 gevonden" in client.get("/dashboard/people?theme=kunststoffen").text
    assert client.get("/dashboard/people?theme=onzin").status_code == 422
    assert client.get("/dashboard/people?q=" + "x" * 101).status_code == 422
    assert client.get("/dashboard/people?page=0").status_code == 422


def test_the_privacy_page_finds_the_person_by_name_not_by_number(client: TestClient) -> None:
    engine = _engine(client)
    ids = community(engine)
    assert login(client, "root", "het beheerderswachtwoord") == 303
    page = client.get("/dashboard/privacy").text
    assert "Persoonsnummer" not in page and "maatjes people" not in page
    assert 'name="person"' not in page, "nobody is chosen yet"
    found = client.get("/dashboard/privacy?q=dewi").text
    assert f'href="/dashboard/privacy?person={ids[3]}"' in found and "Org Dewi" in found
    chosen = client.get(f"/dashboard/privacy?person={ids[3]}").text
    assert f'name="person" value="{ids[3]}"' in chosen and "Dewi" in _text(chosen)
    from_profile = client.get(f"/dashboard/people/{ids[3]}").text
    assert f'href="/dashboard/privacy?person={ids[3]}"' in from_profile
    token = csrf_token(client, f"/dashboard/privacy?person={ids[3]}")
    exported = client.post("/dashboard/privacy/export", data={"csrf": token, "person": ids[3]})
    assert exported.status_code == 200 and exported.json()["profile_history"][0]["value"] == "Dewi"
    assert client.get("/dashboard/privacy?person=99999").status_code == 404
    assert client.get("/dashboard/privacy?person=0").status_code == 422
    login(client)  # a coordinator who is no admin sees no privacy link on a profile
    assert "/dashboard/privacy?person=" not in client.get(f"/dashboard/people/{ids[3]}").text


def test_a_coordinator_picks_anyone_for_a_swap_sees_both_groups_and_reads_what_changed(
    client: TestClient,
) -> None:
    engine = _engine(client)
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    service = client.app.state.maatjes.rounds  # type: ignore[attr-defined]
    every = service.alternatives(round_id, position=1, member=ids[0], limit=None)
    assert login(client) == 303
    link = f"/dashboard/rounds/{round_id}/groups/1/members/{ids[0]}"
    assert f'href="{link}"' in client.get(f"/dashboard/rounds/{round_id}").text
    choose = client.get(link)
    assert choose.status_code == 200
    offered = re.findall(r'<option value="((?:swap|replace|move)-\d+)"', choose.text)
    assert len(offered) == len(every) >= 1, "every valid change is offered, not three"
    assert "Effect op de totale score" not in choose.text

    swap = next(o for o in every if o.kind == "swap")
    preview = client.get(f"{link}?option=swap-{swap.with_person}")
    assert preview.status_code == 200
    text = _text(preview.text)
    assert text.count("de score gaat van") == 2, "the effect on both groups"
    assert "Maatjes 1" in text and "Trio 2" in text
    names = {ids[n]: name for n, name in enumerate(["Anna", "Bram", "Chris", "Dewi", "Eva"])}
    other = names[swap.with_person or 0]
    theirs = ", ".join(names[p] for p in ids[2:] if p != swap.with_person)
    assert f"daarna Bram, {other}" in text and f"daarna {theirs}, Anna" in text
    assert f"{swap.score_before:.0f} naar {swap.score_after:.0f}" in text
    assert f"{swap.other_before:.0f} naar {swap.other_after:.0f}" in text
    assert "Er is nog niets veranderd" in text
    with Session(engine) as session:
        assert not rounds.decisions_of(session, round_id=round_id), "a preview changes nothing"

    token = csrf_token(client, link)
    done = client.post(
        f"/dashboard/rounds/{round_id}/rearrange",
        data={
            "csrf": token,
            "group": "1",
            "member": str(ids[0]),
            "with_person": str(swap.with_person),
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/dashboard/rounds/{round_id}#group-1"
    told = client.get(done.headers["location"]).text
    assert f"Gewisseld: Anna zit nu in Trio 2, {names[swap.with_person or 0]} in Maatjes 1." in told
    with Session(engine) as session:
        groups = rounds.groups_of(session, round_id=round_id)
        members = rounds.members_of(session, group_ids=[g.id or 0 for g in groups])
    first, second = (members[g.id or 0] for g in groups)
    assert swap.with_person in first and ids[0] in second
    # the scores the swap promised are the ones the round now shows, on its 0–100 scale
    shown = re.findall(r'id="group-(\d)".*?class="score"[^>]*>(-?\d+) \(', told, flags=re.S)
    assert dict(shown) == {"1": f"{swap.score_after:.0f}", "2": f"{swap.other_after:.0f}"}

    gone = client.get(f"{link}?option=swap-{swap.with_person}")
    assert gone.status_code == 404, "Anna is no longer in group 1"
    member = f"/dashboard/rounds/{round_id}/groups/2/members/{ids[0]}"
    assert client.get(f"{member}?option=swap-99999").status_code == 404
    assert client.get(f"{member}?option=anything").status_code == 404
    assert client.get(f"{member}?option=" + "1" * 30).status_code == 422


def test_the_audit_log_names_every_action_in_the_pages_language(client: TestClient) -> None:
    ids = community(_engine(client))
    round_id = proposed_round(_engine(client), ids)
    assert login(client, name="tessa", password="fout wachtwoord!") == 401
    assert login(client) == 303
    client.get(f"/dashboard/people/{ids[0]}")
    token = csrf_token(client, f"/dashboard/rounds/{round_id}")
    client.post(f"/dashboard/rounds/{round_id}/approve", data={"csrf": token, "group": "1"})
    dutch = client.get("/dashboard/audit")
    cells = re.findall(r'<td data-action="([a-z_]+)">([^<]+)</td>', dutch.text)
    shown = dict(cells)
    assert shown["read_profile"] == "profiel gelezen" and shown["approve"] == "goedgekeurd"
    assert shown["introduce"] == "geïntroduceerd" and shown["login"] == "inloggen"
    assert "<td>geweigerd</td>" in dutch.text and "<td>gelukt</td>" in dutch.text
    assert '<option value="read_profile">profiel gelezen</option>' in dutch.text
    english = dict(
        re.findall(
            r'<td data-action="([a-z_]+)">([^<]+)</td>', client.get("/dashboard/audit?lang=en").text
        )
    )
    assert english["read_profile"] == "profile read" and english["approve"] == "approved"


def test_every_audited_action_has_a_dutch_and_an_english_label() -> None:
    written: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'(?<![a-z_])action="([a-z_]+)"', source))
        written |= set(re.findall(r'Refused\("([a-z_]+)"\)', source))
    written |= {"swap", "replace", "move", "login"}  # the rearranged kinds; refused logins
    assert written <= set(ACTIONS), sorted(written - set(ACTIONS))
    for language in ("nl", "en"):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "maatjes.po").open("rb") as fp:
            catalogue = {str(m.id) for m in read_po(fp) if m.id}
        missing = {f"audit.action.{a}" for a in ACTIONS} | {f"audit.result.{r}" for r in RESULTS}
        assert missing <= catalogue, sorted(missing - catalogue)


def test_an_unset_privacy_contact_is_warned_about_and_a_set_one_is_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.app"), _app(tmp_path / "unset") as client:
        assert any("MAATJES_PRIVACY_CONTACT" in r.getMessage() for r in caplog.records)
        login(client)
        assert 'id="privacy-contact-missing"' not in client.get("/dashboard").text, "admins only"
        login(client, "root", "het beheerderswachtwoord")
        assert 'id="privacy-contact-missing"' in client.get("/dashboard").text
    caplog.clear()
    contact = "privacy@gemeente-voorbeeld.nl"
    with (
        caplog.at_level(logging.WARNING, logger="bot.app"),
        _app(tmp_path / "set", privacy_contact=contact) as client,
    ):
        assert not any("MAATJES_PRIVACY_CONTACT" in r.getMessage() for r in caplog.records)
        login(client, "root", "het beheerderswachtwoord")
        assert 'id="privacy-contact-missing"' not in client.get("/dashboard").text
        assert f"Privacycontact voor deelnemers: {contact}" in client.get("/dashboard/privacy").text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "MAATJES_PRIVACY_CONTACT" in quick_start


def test_the_review_shows_score_parts_and_weak_groups_first_with_why(tmp_path: Path) -> None:
    with _app(tmp_path, embedder="tfidf", round_kind="pairs") as client:
        ids = community(_engine(client))
        assert login(client) == 303
        token = csrf_token(client, "/dashboard/rounds")
        made = client.post("/dashboard/rounds", data={"csrf": token}, follow_redirects=False)
        assert made.status_code == 303, made.text
        stored = proposed_round(_engine(client), ids)  # as stored before scores had parts

        # a round stored before: its scores on the one scale, its weak trio first, and why
        html = client.get(f"/dashboard/rounds/{stored}").text
        old = _text(html)
        assert "1 van de 2 groepen is zwak: 2." in old
        assert html.index('id="group-2"') < html.index('id="group-1"')  # the weak one first
        assert re.search(r'class="group proposed weak" id="group-2"', html)
        assert 'class="group proposed" id="group-1"' in html
        assert "De score (17) ligt onder de grens voor een goede match (25)." in old
        assert " 90 (+" in old and " 17 (-" in old  # 0.9 for one pair; 0.5 over three pairs
        assert "Opbouw van de score" not in old  # no parts were stored then

        page = unescape(client.get(made.headers["location"]).text)
        text = _text(page)
        assert "Opbouw van de score" in page
        for label in ("zoeken ↔ bieden", "werk", "thema's", "regio–rijk", "fase"):
            assert f"<dt>{label}</dt>" in page
        values = [float(v) for v in re.findall(r"<dd>([+-][\d.]+)</dd>", page)]
        scores = [float(s) for s in re.findall(r'class="score"[^>]*>(-?\d+) \(', page)]
        assert len(values) == 6 * len(scores)
        for position, score in enumerate(scores):
            assert sum(values[6 * position : 6 * (position + 1)]) == pytest.approx(score, abs=1)
        for name in ("Anna", "Bram", "Chris", "Dewi", "Eva"):
            assert text.count(name) >= 2  # in the members and in the explanation

        english = _text(client.get(f"/dashboard/rounds/{stored}?lang=en").text)
        assert "1 of the 2 groups is weak: 2." in english
        assert "Its score (17) is under the limit for a good match (25)." in english
