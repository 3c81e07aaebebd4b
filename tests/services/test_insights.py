"""„Wat speelt er” on SQLite and PostgreSQL: only consented texts count, never a private answer;
quotes are verbatim and only from people who agreed to be quoted; erasure and withdrawal are gone
from the next view at once; the consent is asked once in the chat and withdrawn there."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.actions import PrivacyInsights, PrivacyLessons, decode, encode
from bot.core.conversation import INSIGHTS, MATCHING, QUOTING
from bot.core.messages import Card, Question
from bot.services.conversations import ConversationService
from bot.services.insights import InsightsService, counted_texts
from bot.services.privacy import PrivacyService
from bot.settings import Settings
from matching.embedders import load_embedder
from storage import audit, consents, people
from storage.db import session_scope
from storage.models import CheckIn, CheckInAnswer, MatchGroup, MatchRound
from tests.support.chat import Chat, complete_dutch_intake
from tests.support.insights import TOPICS, community_that_moved

# Three planted lessons, five people each: TOPICS, shared with the community that moved.
MARKER = "Kiwibessenverdriet"
PRIVATE = "Zebrapadgeheim"


def _service(engine: Engine) -> InsightsService:
    model = load_embedder("tfidf")
    return InsightsService(engine, lambda: model)


def _person(
    session: Session,
    name: str,
    *,
    ongemak: str,
    works_on: str,
    purposes: tuple[str, ...] = (MATCHING, INSIGHTS, QUOTING),
    group: str = "regionaal",
) -> int:
    person = people.get_or_create_person(
        session, platform="demo", platform_user_id=name, language="nl"
    )
    assert person.id is not None
    for purpose in purposes:
        consents.record_consent(
            session, person_id=person.id, purpose=purpose, policy_version="t", given=True
        )
    for field, value in {
        "name": name,
        "group": group,
        "region": "utrecht",
        "themes": ["bouw"],
        "phase": "experimenteren",
        "works_on": works_on,
        "ongemak": ongemak,
    }.items():
        people.save_draft_answer(session, person_id=person.id, field=field, value=value)
    people.commit_profile(session, person=person)
    return person.id


def _community(engine: Engine) -> dict[str, int]:
    """Fifteen people on three topics; the first of each topic counts but may not be quoted."""
    ids: dict[str, int] = {}
    with session_scope(engine) as session:
        for topic, (ongemak, works_on) in TOPICS.items():
            for n in range(5):
                purposes = (MATCHING, INSIGHTS) if n == 0 else (MATCHING, INSIGHTS, QUOTING)
                ids[f"{topic}{n}"] = _person(
                    session,
                    f"{topic}{n}",
                    ongemak=ongemak.format(n=n),
                    works_on=works_on.format(n=n),
                    purposes=purposes,
                    group="rijk" if n % 2 else "regionaal",
                )
        # someone who never agreed to the lessons, and someone who said no: never counted
        ids["outsider"] = _person(
            session, "outsider", ongemak=f"{MARKER} inkoopregels", works_on=f"{MARKER} grond"
        )
        consents.withdraw_consent(session, person_id=ids["outsider"], purpose=INSIGHTS)
        ids["matching_only"] = _person(
            session,
            "matching_only",
            ongemak=f"{MARKER} aanbesteding",
            works_on=f"{MARKER} textile",
            purposes=(MATCHING,),
        )
    return ids


def _everything(view: object) -> str:
    return repr(view)


def _quotes_of(engine: Engine, person_ids: set[int]) -> set[str]:
    with Session(engine) as session:
        return {t.text for t in counted_texts(session) if t.person.id in person_ids}


def test_only_consented_texts_count_and_quotes_are_verbatim_from_quote_consenters(
    engine: Engine,
) -> None:
    ids = _community(engine)
    view = _service(engine).themes(language="nl", actor="local:tessa")
    assert view.people == 15 and view.texts == 30
    assert MARKER.lower() not in _everything(view).lower()
    assert len(view.themes) >= 3
    quotable = {pid for name, pid in ids.items() if name[-1] in "1234"}
    allowed = _quotes_of(engine, quotable)
    unquotable = _quotes_of(engine, {ids["inkoop0"], ids["bodem0"], ids["textiel0"]})
    for theme in view.themes:
        assert theme.people >= 3 and theme.quotes
        assert set(theme.quotes) <= allowed, "verbatim, and only from who agreed to be quoted"
        assert not set(theme.quotes) & unquotable
        assert sum(theme.group.values()) == theme.people
    labels = " ".join(" ".join(t.words) for t in view.themes)
    for word in ("inkoopregels", "grond", "textile"):
        assert word in labels
    with Session(engine) as session:
        read = [e for e in audit.events(session) if e.action == "read_insights"]
    assert [(e.actor, e.object_type) for e in read] == [("local:tessa", "insights")]


def test_private_check_in_answers_never_count(engine: Engine) -> None:
    ids = _community(engine)
    with session_scope(engine) as session:
        made = MatchRound(kind="clubs", origin="cli", embedder="tfidf", status="introduced")
        session.add(made)
        session.flush()
        assert made.id is not None
        group = MatchGroup(round_id=made.id, position=1, kind="club", status="introduced")
        session.add(group)
        session.flush()
        assert group.id is not None
        checkin = CheckIn(
            group_id=group.id,
            sequence=1,
            prompt_code="x",
            due_at=datetime(2026, 10, 5, tzinfo=UTC),
            status="closed",
        )
        session.add(checkin)
        session.flush()
        assert checkin.id is not None
        for n in range(1, 4):
            session.add(
                CheckInAnswer(
                    checkin_id=checkin.id,
                    person_id=ids[f"textiel{n}"],
                    text=f"Textile collection stalls: nobody pays for sorting clothing {n}.",
                    shared=True,
                    answered_at=datetime(2026, 10, 6, tzinfo=UTC),
                )
            )
        session.add(
            CheckInAnswer(
                checkin_id=checkin.id,
                person_id=ids["textiel4"],
                text=f"{PRIVATE} textile collection clothing sorting",
                shared=False,
            )
        )
    view = _service(engine).themes(language="en")
    assert view.texts == 33 and PRIVATE.lower() not in _everything(view).lower()
    months = [t.month for t in view.themes if t.month]
    assert months and all(m == {"2026-10": 3} or sum(m.values()) <= 3 for m in months)


def test_erasure_and_withdrawal_are_gone_from_the_next_view(engine: Engine) -> None:
    ids = _community(engine)
    service = _service(engine)
    first = service.themes(language="nl")
    quoted = {q for t in first.themes for q in t.quotes}
    with Session(engine) as session:
        mine = {t.text for t in counted_texts(session) if t.person.id == ids["inkoop1"]}
    assert mine & quoted or first.people == 15
    privacy = PrivacyService(engine, Settings(_env_file=None).groups.privacy)  # type: ignore[call-arg]
    assert privacy.erase(ids["inkoop1"]) is not None
    after = service.themes(language="nl")
    assert after.people == 14
    for text in mine:
        assert text not in _everything(after)
    with session_scope(engine) as session:
        consents.withdraw_consent(session, person_id=ids["bodem2"], purpose=INSIGHTS)
    with Session(engine) as session:
        gone = {t.text for t in counted_texts(session) if t.person.id == ids["bodem2"]}
    assert gone == set()
    withdrawn = service.themes(language="nl")
    assert withdrawn.people == 13
    assert "hergebruik van vrijgekomen grond duur 2" not in _everything(withdrawn)


def test_since_a_day_marks_the_people_who_came_in_after_it(engine: Engine) -> None:
    _community(engine)
    view = _service(engine).themes(language="nl", since=date(2000, 1, 1))
    assert view.themes and all(t.new and t.new_people == t.people for t in view.themes)
    later = _service(engine).themes(language="nl", since=date(2999, 1, 1))
    assert all(t.new is False and t.new_people == 0 for t in later.themes)
    assert later.as_dict()["since"] == "2999-01-01"


def _insights_question(chat: Chat) -> Question:
    assert chat.last is not None
    found = [m for m in chat.last.messages if isinstance(m, Question)]
    assert found and found[-1].step == "insights_consent"
    return found[-1]


def test_the_chat_asks_once_and_withdraws_like_the_other_consents(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    question = _insights_question(chat)
    assert [decode(c.value) for c in question.choices][1] == PrivacyLessons("count")
    chat.click(question.choices[0].value)
    with Session(engine) as session:
        person = people.get_person(session, platform="local", platform_user_id="anna")
        assert person is not None and person.id is not None
        pid = person.id
        assert consents.has_consent(session, person_id=pid, purpose=INSIGHTS)
        assert consents.has_consent(session, person_id=pid, purpose=QUOTING)
    chat.say("wijzig naam")
    chat.say("Anna de Vries-Jansen")
    chat.click("confirm")
    assert chat.last is not None
    assert not any(isinstance(m, Question) for m in chat.last.messages), "asked once"
    chat.say("privacy")
    card = next(m for m in chat.last.messages if isinstance(m, Card))
    fields = {f.label: f.value for f in card.fields}
    assert fields["Meetellen in de lessen van de community (anoniem)"].startswith("gegeven")
    assert encode(PrivacyInsights(False)) in [c.value for c in card.choices]
    chat.click(encode(PrivacyInsights(False)))
    with Session(engine) as session:
        assert not consents.has_consent(session, person_id=pid, purpose=INSIGHTS)
        assert not consents.has_consent(session, person_id=pid, purpose=QUOTING)
        assert not [t for t in counted_texts(session) if t.person.id == pid]


def test_a_theme_of_the_since_day_that_is_gone_is_told(engine: Engine) -> None:
    since = community_that_moved(engine)
    view = _service(engine).themes(language="en", since=since)
    assert view.people == 15
    now = " ".join(" ".join(t.words) for t in view.themes)
    assert "textile" not in now and "maaisel" in now
    assert [t.people for t in view.gone] == [5]
    gone = view.gone[0]
    assert {"textile", "collection", "sorting", "clothing"} & set(
        gone.label.split(", ") + list(gone.words)
    )
    assert not gone.label.startswith("Nobody"), "a label, not a quote"
    assert [t.new for t in view.themes].count(True) == 1, "the grass theme is new"
    shown = view.as_dict()
    assert shown["gone"] == [{"label": gone.label, "words": list(gone.words), "people": 5}]
    # Before anyone was there nothing can be gone; with the day after today nothing changed.
    assert _service(engine).themes(since=date(2026, 9, 1)).gone == ()
    assert _service(engine).themes(since=date(2999, 1, 1)).gone == ()
    assert "gone" not in _service(engine).themes().as_dict()


def test_who_withdrew_is_not_named_among_the_gone_themes(engine: Engine) -> None:
    since = community_that_moved(engine)
    with session_scope(engine) as session:
        for n in range(5):
            person = people.get_person(session, platform="demo", platform_user_id=f"textiel{n}")
            assert person is not None and person.id is not None
            consents.withdraw_consent(session, person_id=person.id, purpose=INSIGHTS)
    view = _service(engine).themes(language="en", since=since)
    assert view.people == 10 and view.gone == ()
    assert "textile" not in repr(view).lower() and "maaisel" not in repr(view).lower()
