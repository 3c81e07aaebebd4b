"""The router: every step has a question and a handler, unknown steps start over, and any
button value at any step gets an answer, never an exception."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.actions import Action, encode
from bot.core.conversation import DETOURS, Conversation
from bot.core.dialogue import Intake
from bot.core.i18n import translator
from bot.core.messages import Inbound, Question, Text
from bot.core.profile import FIELDS
from tests.core.conversations import member
from tests.core.strategies import actions
from tests.core.transcript import TODAY, Transcript

CORE = Intake()
#: Steps that show the consent question (they are answered as consent).
CONSENT_STEPS = ("start", "consent", "declined", "stopped")


def test_every_step_the_core_leads_to_has_a_question_and_a_handler() -> None:
    assert set(FIELDS) | DETOURS | {"summary", "done", *CONSENT_STEPS} == set(CORE.steps)
    t = translator("nl")
    for name in CORE.steps:
        conv = replace(member(), step=name, context={"position": 1, "updates": "phase"})
        asked = CORE.prompt(conv, t)
        if name == "done":  # at rest nothing is asked (unless a check-in is open)
            assert asked == ()
            continue
        assert asked, f"{name} asks nothing"
        questions = [m for m in asked if isinstance(m, Question)]
        if questions:
            expected = "consent" if name in CONSENT_STEPS else name
            assert questions[-1].step == expected


def test_an_unknown_step_from_an_older_version_starts_over() -> None:
    reply = CORE.respond(
        Conversation(step="_on_command", context={"x": 1}), Inbound(text="hoi"), today=TODAY
    )
    assert reply.conversation.step == "start" and reply.conversation.context == {}
    assert any(isinstance(m, Question) and m.step == "consent" for m in reply.messages)


def test_resume_greets_by_name_and_asks_the_open_question() -> None:
    shown = CORE.resume(replace(member(), step="summary"))
    assert isinstance(shown[0], Text) and "Anna de Vries" in shown[0].text
    assert CORE.resume(Conversation())[0] == CORE.prompt(Conversation(), translator("nl"))[0]


def test_an_empty_turn_is_refused_at_any_step() -> None:
    chat = Transcript(member())
    chat.say(" \u200b ")
    assert chat.errors() and chat.step == "done" and not chat.effects


steps = st.sampled_from(sorted(CORE.steps))
#: A context as consistent as a real one: whichever step, what it reads is there.
CONTEXT = {
    "return_to": "done",
    "round": 7,
    "position": 1,
    "checkin": 5,
    "answer": "Ja.",
    "updates": "",
}


@settings(max_examples=300, deadline=None)
@given(step=steps, action=actions, consent=st.booleans(), language=st.sampled_from(["nl", "en"]))
def test_every_action_at_every_step_is_answered(
    step: str, action: Action, consent: bool, language: str
) -> None:
    conv = replace(member(language), step=step, consent=consent, context=CONTEXT)
    reply = CORE.respond(conv, Inbound(choice=encode(action)), today=TODAY)
    assert reply.messages or reply.effects, "a press is never met with silence"
    assert reply.conversation.step in CORE.steps


@settings(max_examples=300, deadline=None)
@given(step=steps, value=st.text(max_size=40), consent=st.booleans())
def test_any_pressed_value_at_any_step_is_answered(step: str, value: str, consent: bool) -> None:
    conv = replace(member(), step=step, consent=consent, context=CONTEXT)
    reply = CORE.respond(conv, Inbound(choice=value), today=TODAY)
    assert reply.conversation.step in CORE.steps
