"""Bad input gets a clear, polite reply in the person's language; nothing raises, nothing is
lost."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.conversation import Conversation
from bot.core.dialogue import Intake
from bot.core.messages import Inbound, Question, Text
from bot.core.profile import FIELDS
from bot.services.conversations import ConversationService
from storage import people
from tests.support.chat import Chat, complete_dutch_intake


def _to_question(chat: Chat, step: str) -> None:
    chat.say("hallo")
    chat.click("yes")
    answers = iter(
        ["Anna", "Gemeente Ede", "gemeente", "regionaal", "gelderland", "bouw", "opschalen"]
    )
    while chat.step != step:
        value = next(answers)
        if chat.question.choices:
            chat.say(value)
        else:
            chat.say(value)


def test_empty_messages_are_answered_politely(service: ConversationService) -> None:
    chat = Chat(service)
    _to_question(chat, "organisation")
    for empty in ("", "   ", "\n\t", "\u200b"):
        turn = chat.say(empty)
        assert not turn.accepted
        assert isinstance(turn.messages[0], Text) and turn.messages[0].tone == "error"
        assert "geen bericht ontvangen" in turn.messages[0].text
        assert chat.step == "organisation", "the same question is asked again"


def test_a_too_long_answer_is_refused_without_truncating(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    _to_question(chat, "works_on")
    long = "kiem " * 2000  # 10,000 characters
    turn = chat.say(long)
    assert not turn.accepted
    assert "10000" in chat.text() or "9999" in chat.text()
    assert "2000" in chat.text() and "niets afgekapt" in chat.text()
    assert chat.step == "works_on"
    with Session(engine) as session:
        person = people.get_person(session, platform="local", platform_user_id="anna")
        assert person is not None and person.id is not None
        assert "works_on" not in people.draft_answers(session, person_id=person.id)
    chat.say("Een kortere versie van mijn kiem.")
    assert chat.step == "seeks"


def test_emoji_and_right_to_left_text_are_kept_exactly(
    service: ConversationService, engine: Engine
) -> None:
    chat = Chat(service)
    _to_question(chat, "organisation")
    name = "مؤسسة الاقتصاد الدائري 🌱♻️ Gemeente"
    chat.say(name)
    assert chat.step == "organisation_kind"
    with Session(engine) as session:
        person = people.get_person(session, platform="local", platform_user_id="anna")
        assert person is not None and person.id is not None
        assert people.draft_answers(session, person_id=person.id)["organisation"] == name


def test_html_is_stored_as_text_not_markup(service: ConversationService, engine: Engine) -> None:
    chat = Chat(service)
    _to_question(chat, "name")
    payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    chat.say(payload)
    assert payload in chat.question.text, "the core passes text on unchanged; renderers escape it"


def test_unknown_commands_and_choices_get_a_hint(service: ConversationService) -> None:
    chat = Chat(service)
    complete_dutch_intake(chat)
    turn = chat.say("doe iets geks")
    assert not turn.accepted and "help" in chat.text()
    turn = chat.click("not-a-button")
    assert not turn.accepted
    chat2 = Chat(service, user="bram")
    _to_question(chat2, "region")
    turn = chat2.click("atlantis")
    assert not turn.accepted and "Die keuze ken ik niet" in chat2.text()
    assert chat2.step == "region"
    turn = chat2.say("99")
    assert not turn.accepted


def test_a_failing_database_gives_a_calm_message(tmp_path: object) -> None:
    from sqlalchemy import create_engine

    broken = create_engine("sqlite:////nonexistent-dir/x/y.db")
    service = ConversationService(broken, Intake())
    turn = Chat(service).say("hallo")
    assert not turn.accepted
    assert "Er is niets verloren gegaan" in turn.messages[0].text  # type: ignore[union-attr]


steps = st.sampled_from(
    [
        "start",
        "consent",
        "declined",
        "stopped",
        "summary",
        "done",
        "edit_menu",
        "pause_menu",
        "language_menu",
        "confirm_stop",
        "unknown-step",
        *FIELDS,
    ]
)
inbounds = st.one_of(
    st.builds(Inbound, text=st.text(max_size=3000)),
    st.builds(Inbound, choice=st.text(max_size=40)),
    st.builds(Inbound, choices=st.lists(st.text(max_size=30), max_size=8).map(tuple)),
    st.builds(
        Inbound,
        text=st.sampled_from(
            [
                "help",
                "wijzig",
                "pauze",
                "stop",
                "taal",
                "privacy",
                "profiel",
                "hervat",
                "ja",
                "nee",
                "1",
                "anders: ",
                "<b>",
                "wijzig ???",
            ]
        ),
    ),
)


@settings(max_examples=400, deadline=None)
@given(
    step=steps,
    inbound=inbounds,
    consent=st.booleans(),
    completed=st.booleans(),
    language=st.sampled_from(["nl", "en"]),
)
def test_the_core_always_answers(
    step: str, inbound: Inbound, consent: bool, completed: bool, language: str
) -> None:
    profile = {"name": "Anna", "themes": ["bouw"], "group": "rijk"} if completed else {}
    conv = Conversation(
        step=step,
        language=language,
        consent=consent,
        completed=completed,
        profile=profile,
        context={"return_to": "summary"} if step in FIELDS else {},
    )
    reply = Intake().respond(conv, inbound, today=date(2026, 11, 24))
    assert reply.messages, "every turn gets an answer"
    if not reply.accepted:
        assert (
            any(isinstance(m, Text) and m.tone == "error" for m in reply.messages) or step == "done"
        )
    for message in reply.messages:
        if isinstance(message, Question):
            assert message.text.strip()
