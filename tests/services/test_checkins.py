"""Reflection check-ins: the calendar (working days, Dutch holidays, summer time), the question
rotation, and the whole cycle on SQLite and PostgreSQL — sent once, pauses respected, answers
kept private unless shared, one reminder, a round-up, missed check-ins after downtime, and two
processes (or a crash) never sending anything twice."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.core.checkins import (
    AMSTERDAM,
    LIBRARY,
    Prompt,
    group_rhythm,
    is_working_day,
    next_check_in,
    next_prompt,
)
from bot.core.conversation import CoreConfig
from bot.core.dialogue import Intake
from bot.core.messages import Account, Inbound, Question
from bot.services.access import CLI_ACTOR
from bot.services.checkins import CheckInService
from bot.services.conversations import ConversationService
from bot.services.rounds import RoundService
from bot.settings import Settings
from storage import checkins, outbox, people
from storage.db import session_scope
from storage.models import CheckIn, CheckInAnswer, InboxMessage, OutboxMessage, Person
from tests import ROOT
from tests.support.community import community, proposed_round


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- the calendar -------------------------------------------------------------------------------


def test_ten_o_clock_local_on_both_sides_of_summer_time() -> None:
    spring = next_check_in(_utc("2026-03-02T10:00+01:00"), "maandelijks")
    assert spring == _utc("2026-04-02T10:00+02:00") and spring.hour == 8  # CEST
    autumn = next_check_in(_utc("2026-10-05T10:00+02:00"), "maandelijks")
    assert autumn == _utc("2026-11-05T10:00+01:00") and autumn.hour == 9  # CET
    # across the change itself (last Sunday of March), weekly
    assert next_check_in(_utc("2026-03-24T10:00+01:00"), "wekelijks") == _utc(
        "2026-03-31T10:00+02:00"
    )


def test_weekends_and_dutch_public_holidays_are_skipped() -> None:
    # Christmas 2026 is a Friday: a weekly check-in moves to Monday the 28th
    assert next_check_in(_utc("2026-12-18T10:00+01:00"), "wekelijks").date() == date(2026, 12, 28)
    # King's Day 2027 (Tuesday 27 April) moves to Wednesday
    assert next_check_in(_utc("2027-04-20T10:00+02:00"), "wekelijks").date() == date(2027, 4, 28)
    # a month after 31 January is 28 February 2026, a Saturday: Monday 2 March
    assert next_check_in(_utc("2026-01-31T10:00+01:00"), "maandelijks").date() == date(2026, 3, 2)
    assert not is_working_day(date(2026, 5, 14))  # Hemelvaartsdag
    assert next_check_in(_utc("2026-04-30T10:00+02:00"), "tweewekelijks").date() == date(
        2026, 5, 15
    )


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)),
    st.sampled_from(["wekelijks", "tweewekelijks", "maandelijks"]),
)
def test_every_check_in_is_on_a_working_day_at_ten(moment: datetime, rhythm: str) -> None:
    after = moment.replace(tzinfo=UTC)
    due = next_check_in(after, rhythm)
    local = due.astimezone(AMSTERDAM)
    assert due > after
    assert (local.hour, local.minute) == (10, 0)
    assert is_working_day(local.date())
    assert due - after < timedelta(days=31 + 10)


def test_group_rhythm_and_question_rotation() -> None:
    assert group_rhythm([None, None]) == "maandelijks"
    assert group_rhythm(["wekelijks", "wekelijks", "maandelijks"]) == "wekelijks"
    assert group_rhythm(["wekelijks", "maandelijks"]) == "maandelijks", "a tie goes calmer"
    asked: list[str] = []
    for _ in range(len(LIBRARY)):
        asked.append(next_prompt(LIBRARY, asked).code)
    assert sorted(asked) == sorted(p.code for p in LIBRARY), "no repeats before all were asked"
    assert next_prompt(LIBRARY, asked).code == asked[0], "then the one asked longest ago"
    own = Prompt("own:1", text_nl="Eigen vraag?")
    assert next_prompt([*LIBRARY, own], asked).code == "own:1", "a new own question comes next"


# --- the cycle ----------------------------------------------------------------------------------


def _setup(engine: Engine) -> tuple[Settings, list[int], CheckInService]:
    """Anna–Bram (pair) and Chris–Dewi–Eva (trio), introduced now."""
    settings_ = Settings(_env_file=None, coordinators="local:tessa")  # type: ignore[call-arg]
    ids = community(engine)
    round_id = proposed_round(engine, ids)
    RoundService(engine, settings_.groups.rounds).approve(round_id, actor=CLI_ACTOR, origin="cli")
    return settings_, ids, CheckInService(engine, settings_.groups.checkins)


def _kinds(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        return sorted((m.recipient_id, m.kind) for m in outbox.entries(session))


def _first_due(engine: Engine) -> datetime:
    with Session(engine) as session:
        return min(c.due_at for c in session.exec(select(CheckIn)).all())


def _chat(engine: Engine) -> ConversationService:
    return ConversationService(engine, Intake(CoreConfig(policy_version="t")))


def test_a_check_in_cycle_with_private_and_shared_answers(engine: Engine) -> None:
    _, ids, service = _setup(engine)
    report = service.run_due()
    assert report.planned == 2 and report.sent == 0
    due = _first_due(engine)
    before = service.run_due(due - timedelta(minutes=1))
    assert before.sent == 0, "nothing before it is due"

    # Eva pauses until after the check-in; Chris withdrew nothing: everyone else is asked
    with session_scope(engine) as session:
        eva = session.get(Person, ids[4])
        assert eva is not None
        people.set_pause(session, person=eva, paused=True, until=(due + timedelta(days=2)).date())
    sent = service.run_due(due)
    assert sent.sent == 2 and sent.messages == 4
    assert service.run_due(due).sent == 0, "sent once"
    asked = [r for r, kind in _kinds(engine) if kind == "checkin"]
    assert sorted(asked) == sorted(ids[:4]), "the paused member is skipped"

    with Session(engine) as session:
        message = next(m for m in outbox.entries(session) if m.kind == "checkin")
        checkin = session.exec(select(CheckIn).where(CheckIn.status == "sent")).first()
        assert checkin is not None
    question = message.payload["messages"][-1]
    assert question["kind"] == "question" and question["text"]
    values = [c["value"] for c in question["choices"]]
    pair = checkin.group_id
    with Session(engine) as session:
        from storage import rounds

        members = rounds.members_of(session, group_ids=[pair])[pair]
    chat = _chat(engine)
    first, second = (Account("local", _name(engine, m)) for m in members[:2])
    # the first answers and shares; the second answers privately
    for account, text, share in (
        (first, "We bellen volgende week", "share"),
        (second, "Geheim", "private"),
    ):
        step = chat.handle(account, Inbound(choice=f"checkin:{checkin.id}:answer"))
        assert (
            isinstance(step.messages[-1], Question) and step.messages[-1].step == "checkin_answer"
        )
        chat.handle(account, Inbound(text=text))
        thanks = chat.handle(account, Inbound(choice=share))
        assert thanks.accepted
    assert any(v.startswith(f"checkin:{checkin.id}:answer") for v in values)
    with Session(engine) as session:
        answers = {
            a.person_id: (a.text, a.shared) for a in session.exec(select(CheckInAnswer)).all()
        }
    assert answers == {
        members[0]: ("We bellen volgende week", True),
        members[1]: ("Geheim", False),
    }
    # everyone in the pair answered: its round-up goes out now, with the shared answer only
    rounded = service.run_due(due + timedelta(hours=1))
    assert rounded.roundups == 1
    with Session(engine) as session:
        roundups = [m for m in outbox.entries(session) if m.kind == "checkin_roundup"]
    assert sorted(m.recipient_id for m in roundups) == sorted(members)
    for entry in roundups:
        text = json.dumps(entry.payload, ensure_ascii=False)
        assert "We bellen volgende week" in text and "Geheim" not in text


def _name(engine: Engine, person_id: int) -> str:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        return person.platform_user_id


def test_one_reminder_then_a_round_up_and_skips(engine: Engine) -> None:
    settings_, ids, service = _setup(engine)
    service.run_due()
    due = _first_due(engine)
    service.run_due(due)
    with Session(engine) as session:
        trio = session.exec(select(CheckIn).where(CheckIn.status == "sent")).all()
    chat = _chat(engine)
    skipped = chat.handle(Account("local", "chris"), Inbound(choice=f"checkin:{trio[-1].id}:skip"))
    assert "skip" in skipped.messages[-1].text.lower()  # type: ignore[union-attr]
    later = due + timedelta(days=settings_.checkin_reminder_days, minutes=1)
    first = service.run_due(later)
    again = service.run_due(later + timedelta(hours=5))
    assert again.reminders == 0, "one reminder, not one per run"
    reminded = sorted(r for r, kind in _kinds(engine) if kind == "checkin_reminder")
    assert first.reminders == len(reminded) and ids[2] not in reminded, "Chris answered (skip)"
    closed = service.run_due(due + timedelta(days=settings_.checkin_answer_days, minutes=1))
    assert closed.roundups == 2
    with Session(engine) as session:
        roundup = next(m for m in outbox.entries(session) if m.kind == "checkin_roundup")
    assert "Niemand deelde" in json.dumps(
        roundup.payload, ensure_ascii=False
    ) or "Nobody shared" in json.dumps(roundup.payload)
    # the next check-in is planned a month on, with another question
    service.run_due(due + timedelta(days=8))
    with Session(engine) as session:
        rows = session.exec(select(CheckIn).order_by(CheckIn.id)).all()
    planned = [c for c in rows if c.status == "scheduled"]
    assert len(planned) == 2 and all(c.sequence == 2 for c in planned)
    assert all(c.prompt_code != rows[0].prompt_code for c in planned)


def test_answers_update_the_profile_only_when_the_person_agrees(engine: Engine) -> None:
    service = _setup(engine)[2]
    with session_scope(engine) as session:
        from storage.models import MatchGroup

        group = session.exec(select(MatchGroup)).first()
        assert group is not None and group.id is not None
        checkins.schedule(
            session,
            group_id=group.id,
            sequence=1,
            prompt_code="lib:ongemak",
            due_at=datetime.now(UTC) - timedelta(minutes=5),
        )
        group_id = group.id
    service.run_due()
    with Session(engine) as session:
        checkin = session.exec(select(CheckIn).where(CheckIn.group_id == group_id)).one()
        from storage import rounds

        member = rounds.members_of(session, group_ids=[group_id])[group_id][0]
    account = Account("local", _name(engine, member))
    chat = _chat(engine)
    chat.handle(account, Inbound(choice=f"checkin:{checkin.id}:answer:ongemak"))
    chat.handle(account, Inbound(text="Regels voor afvalstoffen remmen hergebruik"))
    asked = chat.handle(account, Inbound(choice="private"))
    assert isinstance(asked.messages[-1], Question) and asked.messages[-1].step == "checkin_update"
    chat.handle(account, Inbound(choice="yes"))
    with Session(engine) as session:
        person = session.get(Person, member)
        assert person is not None and person.ongemak == "Regels voor afvalstoffen remmen hergebruik"


def test_after_downtime_a_check_in_is_sent_once_within_grace_or_skipped(engine: Engine) -> None:
    settings_, _, service = _setup(engine)
    service.run_due()
    due = _first_due(engine)
    late = service.run_due(due + timedelta(hours=settings_.checkin_grace_hours - 1))
    assert late.sent == 2 and late.missed == 0, "within the grace period: sent, once"

    with session_scope(engine) as session:  # plan the next ones, then 'go down' past the grace
        for checkin in session.exec(select(CheckIn)).all():
            checkin.status = "closed"
            session.add(checkin)
    service.run_due(due + timedelta(days=1))
    next_due = _first_due_scheduled(engine)
    outage_over = next_due + timedelta(hours=settings_.checkin_grace_hours + 5)
    before = len(_kinds(engine))
    skipped = service.run_due(outage_over)
    assert skipped.missed == 2 and skipped.sent == 0
    assert len(_kinds(engine)) == before, "nobody gets a stale question"
    replanned = service.run_due(outage_over)
    assert replanned.planned == 2
    assert _first_due_scheduled(engine) > outage_over, "the next one is planned from now"


def _first_due_scheduled(engine: Engine) -> datetime:
    with Session(engine) as session:
        return min(
            c.due_at for c in session.exec(select(CheckIn).where(CheckIn.status == "scheduled"))
        )


# --- once only, across processes and crashes ----------------------------------------------------


def _many_groups(engine: Engine, database_url: str, count: int) -> datetime:
    """``count`` introduced pairs of local people, their first check-in due one minute ago."""
    from bot.core.conversation import MATCHING
    from storage import consents, rounds

    now = datetime.now(UTC)
    with session_scope(engine) as session:
        person_ids = []
        for i in range(count * 2):
            person = people.get_or_create_person(
                session, platform="local", platform_user_id=f"p{i}", language="nl"
            )
            assert person.id is not None
            consents.record_consent(
                session, person_id=person.id, purpose=MATCHING, policy_version="t", given=True
            )
            person_ids.append(person.id)
        match_round = rounds.create_round(
            session,
            kind="pairs",
            origin="cli",
            proposed_by=CLI_ACTOR,
            embedder="t",
            weights={},
            groups=[
                rounds.NewGroup([person_ids[2 * i], person_ids[2 * i + 1]], 0.5, {})
                for i in range(count)
            ],
        )
        assert match_round.id is not None
        for index, group in enumerate(rounds.groups_of(session, round_id=match_round.id)):
            group.status = "introduced"
            group.introduced_at = now - timedelta(days=40)
            session.add(group)
            session.flush()
            assert group.id is not None
            checkins.schedule(
                session,
                group_id=group.id,
                sequence=1,
                prompt_code=LIBRARY[index % 10].code,
                due_at=now - timedelta(minutes=1),
            )
    return now


def _workers(
    database_url: str, at: datetime, crash_after: tuple[int, ...]
) -> list[subprocess.CompletedProcess[str]]:
    start_at = time.time() + 4.0
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "workers" / "checkins.py"),
                database_url,
                at.isoformat(),
                str(start_at),
                str(crash),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for crash in crash_after
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def test_two_processes_send_every_check_in_exactly_once(engine: Engine, database_url: str) -> None:
    count = 60
    now = _many_groups(engine, database_url, count)
    results = _workers(database_url, now, (-1, -1))
    for result in results:
        assert result.returncode == 0, result.stderr
    reports = [json.loads(r.stdout) for r in results]
    assert sum(r["checkins_sent"] for r in reports) == count
    assert sum(r["delivered"] for r in reports) == 2 * count
    with Session(engine) as session:
        inbox = session.exec(select(InboxMessage.person_id)).all()
        assert len(inbox) == 2 * count and len(set(inbox)) == 2 * count, "each person once"
        assert (
            session.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
            ).one()
            == 0
        )


def test_a_crash_mid_batch_loses_nothing_and_sends_nothing_twice(
    engine: Engine, database_url: str
) -> None:
    count = 20
    now = _many_groups(engine, database_url, count)
    crashed = _workers(database_url, now, (7,))[0]
    assert crashed.returncode == 3, crashed.stderr
    with Session(engine) as session:
        assert len(session.exec(select(InboxMessage)).all()) == 7
    # after the claim's lease, the next run delivers the rest
    resumed = _workers(database_url, now + timedelta(minutes=10), (-1,))[0]
    assert resumed.returncode == 0, resumed.stderr
    with Session(engine) as session:
        inbox = session.exec(select(InboxMessage.person_id)).all()
    assert len(inbox) == 2 * count and len(set(inbox)) == 2 * count


def test_groups_that_stop_answering_are_flagged_as_quiet(engine: Engine) -> None:
    settings_, _, service = _setup(engine)
    when = datetime.now(UTC)
    for _ in range(2):  # two check-ins pass without a single answer
        service.run_due(when)
        when = _first_due_scheduled(engine) + timedelta(minutes=1)
        service.run_due(when)
        when += timedelta(days=settings_.checkin_answer_days, minutes=1)
        service.run_due(when)
    with Session(engine) as session:
        from storage import rounds
        from storage.models import MatchGroup

        groups = sorted(g.id or 0 for g in session.exec(select(MatchGroup)).all())
        assert checkins.quiet_groups(session) == groups
        closed = session.exec(select(CheckIn).where(CheckIn.status == "closed")).all()
        assert len(closed) == 4
        first = closed[-1]
        member = rounds.members_of(session, group_ids=[first.group_id])[first.group_id][0]
        checkins.record_answer(
            session,
            checkin_id=first.id or 0,
            person_id=member,
            status="answered",
            text="Toch nog",
            shared=False,
        )
        session.commit()
        assert first.group_id not in checkins.quiet_groups(session), "one answer wakes it up"


def test_everything_due_is_sent_across_batches(engine: Engine, database_url: str) -> None:
    now = _many_groups(engine, database_url, 23)
    service = CheckInService(engine, Settings(_env_file=None).groups.checkins)  # type: ignore[call-arg]
    service.batch = 5
    report = service.run_due(now)
    assert report.sent == 23 and report.messages == 46
    with Session(engine) as session:
        left = session.exec(select(CheckIn).where(CheckIn.status == "scheduled")).all()
    assert [c.due_at > now for c in left] == [True] * len(left), "only future ones remain"


def test_a_pause_ends_by_itself_on_its_date(engine: Engine) -> None:
    settings_, ids, service = _setup(engine)
    service.run_due()
    due = _first_due(engine)
    with session_scope(engine) as session:
        eva = session.get(Person, ids[4])
        assert eva is not None
        people.set_pause(session, person=eva, paused=True, until=(due + timedelta(days=3)).date())
    service.run_due(due)
    assert ids[4] not in [r for r, kind in _kinds(engine) if kind == "checkin"]
    service.run_due(due + timedelta(days=settings_.checkin_answer_days, minutes=1))  # round-up
    service.run_due(due + timedelta(days=settings_.checkin_answer_days, minutes=2))  # plan next
    second = _first_due_scheduled(engine)
    assert second > due + timedelta(days=3)
    service.run_due(second)
    asked = [r for r, kind in _kinds(engine) if kind == "checkin"]
    assert asked.count(ids[4]) == 1, "after the pause Eva is asked again, nobody had to resume"


def test_an_answer_to_someone_elses_check_in_is_refused_and_not_thanked(engine: Engine) -> None:
    """A hand-made check-in button (another group's check-in, one that does not exist, one not
    sent yet) is refused with a message saying nothing was saved, in both languages."""
    from bot.core.i18n import translator
    from storage import rounds

    _, ids, service = _setup(engine)
    service.run_due()
    due = _first_due(engine)
    service.run_due(due)
    with Session(engine) as session:
        sent = session.exec(select(CheckIn).where(CheckIn.status == "sent")).all()
        checkin_id, group_id = sent[0].id, sent[0].group_id
        members = rounds.members_of(session, group_ids=[group_id])[group_id]
        scheduled = CheckIn(group_id=group_id, sequence=99, prompt_code="x", due_at=due)
        session.add(scheduled)
        session.commit()
        not_sent = scheduled.id
    outsider = next(i for i in ids if i not in members)
    chat = _chat(engine)
    account = Account("local", _name(engine, outsider))
    for language in ("nl", "en"):
        with session_scope(engine) as session:
            person = session.get(Person, outsider)
            assert person is not None
            people.set_language(session, person=person, language=language)
        refusal = translator(language)("checkin.not_taken")
        thanks = {
            translator(language)(k)
            for k in ("checkin.thanks_private", "checkin.thanks_shared", "checkin.skipped")
        }
        for choice in (
            f"checkin:{checkin_id}:answer",
            f"checkin:{checkin_id}:answer:phase",
            f"checkin:{checkin_id}:skip",
            "checkin:999999:answer",
            f"checkin:{not_sent}:answer",
        ):
            said: list[str] = []
            for inbound in (
                Inbound(choice=choice),
                Inbound(text="Ingevuld"),
                Inbound(choice="share"),
            ):
                turn = chat.handle(account, inbound)
                said += [getattr(m, "text", "") for m in turn.messages]
            assert refusal in said, (choice, said)
            assert not thanks & set(said), (choice, said)
    with Session(engine) as session:
        assert [
            a for a in session.exec(select(CheckInAnswer)).all() if a.person_id == outsider
        ] == []


def test_an_answer_whose_check_in_went_away_meanwhile_is_not_thanked(engine: Engine) -> None:
    """The member opened the answer, then the check-in was withdrawn before they shared it."""
    from bot.core.i18n import translator
    from storage import rounds

    _, _, service = _setup(engine)
    service.run_due()
    service.run_due(_first_due(engine))
    with Session(engine) as session:
        checkin = session.exec(select(CheckIn).where(CheckIn.status == "sent")).first()
        assert checkin is not None
        checkin_id = checkin.id
        member = rounds.members_of(session, group_ids=[checkin.group_id])[checkin.group_id][0]
    with session_scope(engine) as session:  # at rest after the intake, as in the chat
        people.save_conversation(session, person_id=member, step="done", context={})
    chat = _chat(engine)
    account = Account("local", _name(engine, member))
    chat.handle(account, Inbound(choice=f"checkin:{checkin_id}:answer"))
    chat.handle(account, Inbound(text="Bijna klaar"))
    with session_scope(engine) as session:
        gone = session.get(CheckIn, checkin_id)
        assert gone is not None
        gone.status = "scheduled"  # as if it had never been sent
        session.add(gone)
    turn = chat.handle(account, Inbound(choice="share"))
    said = [getattr(m, "text", "") for m in turn.messages]
    assert said == [translator("nl")("checkin.not_taken")]
    assert not turn.accepted


def test_a_typed_reply_answers_the_open_check_in_and_its_buttons_come_back(
    engine: Engine,
) -> None:
    """While a check-in is open it is offered again (on resume, after a command), typing the
    answer answers it, and once answered it is no longer offered."""
    from storage import rounds

    _, _, service = _setup(engine)
    service.run_due()
    service.run_due(_first_due(engine))
    with Session(engine) as session:
        checkin = session.exec(select(CheckIn).where(CheckIn.status == "sent")).first()
        assert checkin is not None and checkin.id is not None
        member = rounds.members_of(session, group_ids=[checkin.group_id])[checkin.group_id][0]
    with session_scope(engine) as session:  # at rest after the intake, as in the chat
        people.save_conversation(session, person_id=member, step="done", context={})
    chat = _chat(engine)
    account = Account("local", _name(engine, member))

    def offered(messages: tuple[object, ...]) -> list[Question]:
        return [m for m in messages if isinstance(m, Question) and m.step == "checkin"]

    opened = offered(chat.resume(account))
    assert len(opened) == 1
    assert [c.value for c in opened[0].choices][1] == f"checkin:{checkin.id}:skip"
    helped = chat.handle(account, Inbound(text="help"))
    assert any("reflectievraag" in getattr(m, "text", "") for m in helped.messages)
    assert offered(helped.messages) == opened, "the buttons come back after a command"

    typed = chat.handle(account, Inbound(text="We bellen volgende week"))
    assert typed.accepted
    assert isinstance(typed.messages[-1], Question)
    assert typed.messages[-1].step == "checkin_share"
    chat.handle(account, Inbound(choice="private"))
    with Session(engine) as session:
        answer = session.get(CheckInAnswer, (checkin.id, member))
        assert answer is not None
        assert (answer.status, answer.text, answer.shared) == (
            "answered",
            "We bellen volgende week",
            False,
        )
    assert offered(chat.resume(account)) == [], "answered: no longer offered"
    again = chat.handle(account, Inbound(text="Nog iets"))
    assert not again.accepted, "a later text is not a second answer"
