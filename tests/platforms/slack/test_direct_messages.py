"""A person and Maatjes in Slack: the intake in a DM, /maatjes, App Home, privacy, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, select

from storage import people
from storage.db import session_scope
from storage.models import (
    ProfileEmbedding,
    SlackMember,
)
from storage.types import utcnow
from tests.platforms.slack.driver import (
    COORDINATOR,
    FORM,
    JSON,
    SlackDriver,
    _complete_profile,
    _enqueue_text,
    _group_ids,
    _person_id,
    _seed_person,
    _seed_round,
    texts,
)
from tests.support.slack import (
    command_body,
    elements,
    event_body,
    home_action_body,
    home_event,
    view_submission_body,
)

# --- the intake in a DM ---------------------------------------------------------------------------


def test_a_dm_runs_the_whole_intake_with_buttons_and_a_modal(driver: SlackDriver) -> None:
    user = "UANNA"
    driver.fake.locales[user] = "nl-NL"
    first = driver.say(user, "hallo")[-1]
    assert "Hoi! Ik ben Maatjes" in texts(first), "the Slack locale (nl-NL) picks Dutch"
    assert driver.fake.of("users.info")[0].args["include_locale"] in (True, "true", "1")

    driver.press_and_wait(user, "yes")
    driver.say(user, "Anna de Vries")
    driver.say(user, "Gemeente Zwolle")
    driver.press_and_wait(user, "gemeente")
    driver.press_and_wait(user, "regionaal")
    driver.press_and_wait(user, "overijssel")  # 13 regions: a drop-down
    driver.tick(user, "bouw", "kunststoffen")
    driver.press_and_wait(user, "experimenteren")

    # works_on: written in a modal opened from the question
    question = driver.last(user)
    long_button = [
        e
        for _, e in elements(question.args["blocks"])
        if e["action_id"].startswith("maatjes.long.")
    ]
    assert long_button, "a long answer can be written in a modal"
    before = len(driver.posts(user))
    driver.press(user, long_button[0]["value"])
    opened = driver.fake.wait_for("views.open")[-1]
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    assert view["callback_id"] == "maatjes.long"
    assert (
        "Waar werk je aan" in json.dumps(view, ensure_ascii=False)
        or view["blocks"][0]["type"] == "section"
    )
    too_short = driver.submit_modal(user, "ok")
    assert too_short.status_code == 200
    assert too_short.json()["response_action"] == "errors", "a refused answer keeps the modal open"
    answer = "Een circulair viaduct: hergebruik van liggers uit oude bruggen in een aanbesteding."
    done = driver.submit_modal(user, answer)
    assert done.status_code == 200 and not done.content.strip()
    driver.wait_posts(user, before + 1)

    driver.say(user, "Iemand bij het rijk met ervaring in circulair inkopen van infrastructuur.")
    driver.say(user, "Marktconsultaties en een netwerk van aannemers in Overijssel.")
    driver.press_and_wait(user, "skip")
    driver.press_and_wait(user, "maandelijks")
    summary = driver.press_and_wait(user, "nl")[-1]
    assert "Anna de Vries" in texts(summary) and "Gemeente Zwolle" in texts(summary)
    driver.press_and_wait(user, "confirm")

    with Session(driver.maatjes.engine) as session:
        anna = people.get_person(session, platform="slack", platform_user_id=user)
        assert anna is not None and anna.profile_completed_at is not None
        assert anna.name == "Anna de Vries" and anna.region == "overijssel"
        assert anna.themes == ["kunststoffen", "bouw"] and anna.works_on == answer
        assert anna.language == "nl"
    with Session(driver.maatjes.engine) as session:
        embedded = session.exec(select(ProfileEmbedding)).all()
        assert {e.person_id for e in embedded} == {anna.id}, "embedded after the ack"
        assert {e.field for e in embedded} == {"works_on", "seeks", "offers"}
    # pressed buttons are replaced by what was chosen, so an old question is not answered twice
    assert driver.fake.of("chat.update"), "the answered message was updated"


def test_the_first_visit_to_the_messages_tab_is_greeted_once(driver: SlackDriver) -> None:
    user = "UVISIT"
    opened = {**home_event(user), "tab": "messages"}
    assert driver.post(event_body(opened), JSON).status_code == 200
    greeting = driver.wait_posts(user, 1)[-1]
    assert "Hoi! Ik ben Maatjes" in texts(greeting)
    assert {e.get("value") for _, e in elements(greeting.args["blocks"])} >= {"yes", "no"}
    driver.post(event_body({**opened, "event_ts": "1700000001.000200"}), JSON)
    driver.say(user, "ja")  # the next post is the answer, not a second greeting
    assert sum("Hoi! Ik ben Maatjes" in texts(c) for c in driver.posts(user)) == 1


def test_the_slack_locale_chooses_english(driver: SlackDriver) -> None:
    driver.fake.locales["UJOHN"] = "en-GB"
    first = driver.say("UJOHN", "hello")[-1]
    assert "Hi! I'm Maatjes" in texts(first)


def test_text_is_escaped_so_nobody_pings_a_channel(driver: SlackDriver) -> None:
    user = "UESC"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")
    reply = driver.say(user, "<!channel> & co")[-1]
    assert "<!channel>" not in json.dumps(reply.args["blocks"])
    with Session(driver.maatjes.engine) as session:
        assert (
            people.draft_answers(session, person_id=_person_id(driver, user))["name"]
            == "<!channel> & co"
        )


# --- /maatjes -------------------------------------------------------------------------------------


def test_the_maatjes_command(driver: SlackDriver) -> None:
    user = "UCMD"
    response = driver.post(command_body(user, "help"), FORM)
    assert response.status_code == 200 and not response.content.strip()
    help_text = texts(driver.wait_posts(user, 1)[-1])
    assert "privacy" in help_text.lower()

    driver.post(command_body(user, "privacy"), FORM)
    assert "privacy" in texts(driver.wait_posts(user, 2)[-1]).lower()

    driver.post(command_body(user, "taal"), FORM)
    language = driver.wait_posts(user, 3)[-1]
    assert {e.get("value") for _, e in elements(language.args["blocks"])} >= {"nl", "en"}
    english = driver.press_and_wait(user, "en")[-1]
    assert "English" in texts(english) or "language" in texts(english).lower()

    driver.post(command_body(user, "profiel"), FORM)
    from bot.core.i18n import translator

    assert translator("en")("error.needs_consent") in texts(driver.wait_posts(user, 5)[-1])

    # in a channel the command answers in the DM and says so, privately
    elsewhere = driver.post(command_body(user, "pauze", channel="C0GENERAL"), FORM)
    assert elsewhere.status_code == 200 and "private chat" in elsewhere.text
    assert driver.wait_posts(user, 6)
    assert not [c for c in driver.fake.of("chat.postMessage") if c.args["channel"] == "C0GENERAL"]


# --- App Home -------------------------------------------------------------------------------------


def test_app_home_shows_the_profile_and_a_pause_toggle(driver: SlackDriver) -> None:
    user = "UHOME"
    assert driver.post(event_body(home_event(user)), JSON).status_code == 200
    empty = driver.fake.wait_for("views.publish")[-1]
    assert "nog geen profiel" in json.dumps(empty.args["view"], ensure_ascii=False)

    _complete_profile(driver, user, name="Henk Home")
    driver.post(event_body(home_event(user)), JSON)
    home = driver.fake.wait_for("views.publish", 2)[-1]
    view = (
        json.loads(home.args["view"]) if isinstance(home.args["view"], str) else home.args["view"]
    )
    shown = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home" and "Henk Home" in shown and "Nog geen maatje" in shown
    assert '"ronde"' not in shown, "only coordinators see the review button"
    pause = next(e for _, e in elements(view["blocks"]) if e["value"] == "pauze")
    before = len(driver.posts(user))
    assert driver.post(home_action_body(user, pause), FORM).status_code == 200
    menu = driver.wait_posts(user, before + 1)[-1]
    driver.fake.wait_for("views.publish", 3)
    assert {e.get("value") for _, e in elements(menu.args["blocks"])} >= {"2w", "open"}
    driver.press_and_wait(user, "open")
    with Session(driver.maatjes.engine) as session:
        henk = people.get_person(session, platform="slack", platform_user_id=user)
        assert henk is not None and henk.paused_from is not None
    driver.post(event_body(home_event(user)), JSON)
    again = driver.fake.wait_for("views.publish", 4)[-1]
    assert '"hervat"' in json.dumps(again.args["view"]), "the toggle now resumes"

    # once introduced: the maatje, and when the next reflection question comes
    from datetime import UTC, datetime

    from storage import checkins

    henk = _person_id(driver, user)
    partner = _seed_person(driver, "UPARTNER", "Petra Partner", "regionaal")
    round_id = _seed_round(driver, [[henk, partner]])
    driver.maatjes.rounds.approve(
        round_id, position=1, actor=f"slack:{COORDINATOR}", origin="slack"
    )
    with session_scope(driver.maatjes.engine) as session:
        checkins.schedule(
            session,
            group_id=_group_ids(driver, round_id)[0],
            sequence=1,
            prompt_code="lib:beweging",
            due_at=datetime(2031, 3, 4, 9, 0, tzinfo=UTC),
        )
    driver.post(event_body(home_event(user)), JSON)
    introduced = json.dumps(driver.fake.wait_for("views.publish", 5)[-1].args["view"])
    assert "Petra Partner" in introduced and "dinsdag 4 maart" in introduced


# --- privacy in Slack -----------------------------------------------------------------------------


def test_my_data_and_forget_me_work_in_slack_and_take_the_slack_rows_along(
    driver: SlackDriver,
) -> None:
    user = "UPRIV"
    driver.say(user, "hallo")
    driver.press_and_wait(user, "yes")
    driver.say(user, "Priya Zeldenrust")

    post = driver.say(user, "mijn gegevens")[-1]
    said = texts(post)
    link = re.search(r"https?://[^\s>|]+/privacy/export/[A-Za-z0-9._-]+", said)
    assert link, f"the export comes as a link in the DM: {said}"
    assert post.args["unfurl_links"] in (False, "false", "0") and post.args["unfurl_media"] in (
        False,
        "false",
        "0",
    ), "Slack is asked not to fetch the link for a preview"
    export = driver.client.post(urlsplit(link.group(0)).path)
    assert export.status_code == 200, export.text
    data = export.json()
    assert "Priya Zeldenrust" in json.dumps(data), "the answer given so far is in the export"
    assert [row["user_id"] for row in data["platform_account"]] == [user]
    assert data["platform_account"][0]["dm_channel"] == f"D{user}"

    question = driver.say(user, "vergeet mij")[-1]
    assert {e.get("value") for _, e in elements(question.args["blocks"])} >= {"yes", "no"}
    driver.press_and_wait(user, "yes")
    with Session(driver.maatjes.engine) as session:
        assert people.get_person(session, platform="slack", platform_user_id=user) is None
        assert session.get(SlackMember, user) is None, "the DM channel record goes too"


# --- what people wrote reaches Slack as text, never as markup ------------------------------------

HOSTILE = "<!channel> <@U0BOSS> <https://evil.example|Log in> <!subteam^S1> & co"
SLACK_MARKUP = ("<!channel>", "<@U0BOSS>", "<https://evil.example", "<!subteam", "|Log in>")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            yield value
            return
        if isinstance(decoded, dict | list):
            yield from _strings(decoded)
        else:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_profile_text_reaches_slack_escaped_in_every_field(driver: SlackDriver) -> None:
    """A profile holding Slack markup: the summary, App Home, a notification from the outbox and
    the fallback ``text`` of every post carry it escaped (``&``, ``<``, ``>``)."""
    user = "UHOSTILE"
    pid = _seed_person(driver, user, HOSTILE, "rijk")
    driver.post(command_body(user, "profiel"), FORM)
    driver.wait_posts(user, 1)
    driver.post(event_body(home_event(user)), JSON)
    driver.fake.wait_for("views.publish")
    _enqueue_text(driver, pid, f"Nieuws voor {HOSTILE}", key="hostile:1")
    assert driver.maatjes.delivery.deliver_due().delivered == 1
    driver.wait_posts(user, 2)
    calls = [*driver.fake.of("chat.postMessage"), *driver.fake.of("views.publish")]
    fallback = [c.args["text"] for c in driver.fake.of("chat.postMessage")]
    assert any("&lt;!channel&gt;" in text and "&amp; co" in text for text in fallback), fallback
    for call in calls:
        for text in _strings({k: v for k, v in call.args.items() if k != "token"}):
            for markup in SLACK_MARKUP:
                assert markup not in text, (call.method, text[:200])
            assert " & co" not in text, (call.method, text[:200])


def test_a_check_in_answer_for_someone_elses_group_is_refused_in_slack(driver: SlackDriver) -> None:
    """A hand-made check-in modal submission (the check-in is another group's): the DM says
    nothing was saved, never "Dank je!"."""
    from bot.core.i18n import translator
    from storage import checkins

    ids = [
        _seed_person(driver, "UCHKA", "Ada", "rijk"),
        _seed_person(driver, "UCHKB", "Bo", "regionaal"),
    ]
    outsider = "UCHKOUT"
    _seed_person(driver, outsider, "Olaf", "rijk")
    group_id = _group_ids(driver, _seed_round(driver, [ids]))[0]
    with session_scope(driver.maatjes.engine) as session:
        checkins.schedule(session, group_id=group_id, sequence=1, prompt_code="x", due_at=utcnow())
        checkin = checkins.history(session, group_id=group_id)[0]
        assert checkin.id is not None
        checkins.transition(
            session, checkin_id=checkin.id, from_status="scheduled", to_status="sent", at=utcnow()
        )
        checkin_id = checkin.id
    view = {
        "callback_id": "maatjes.checkin",
        "blocks": [],
        "private_metadata": json.dumps(
            {"choice": f"checkin:{checkin_id}:answer", "channel": f"D{outsider}"}
        ),
        "title": {"type": "plain_text", "text": "Check-in"},
    }
    response = driver.post(view_submission_body(outsider, view, "Ingevuld door een ander"), FORM)
    assert response.status_code == 200
    said = texts(driver.wait_posts(outsider, 1)[-1])
    assert translator("nl")("checkin.not_taken").split(",")[0] in said, said
    assert "Dank je" not in said
    with Session(driver.maatjes.engine) as session:
        assert checkins.answers(session, checkin_id=checkin_id) == []
