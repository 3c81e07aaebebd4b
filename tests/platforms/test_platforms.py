"""Every platform is one folder with one ``build``: off when not configured, on by itself when it
is, and loading its SDK only then."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import Engine

from bot.app import PLATFORMS, build
from bot.core.conversation import CoreConfig
from bot.core.dialogue import Intake
from bot.platforms import mail, slack, teams, web
from bot.platforms.base import Deps
from bot.platforms.slack.adapter import SlackAdapter
from bot.platforms.teams.adapter import Teams
from bot.services.conversations import ConversationService
from bot.services.delivery import PostponedReplies
from bot.services.threads import GroupThreads
from bot.settings import Settings
from tests import ROOT


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        scheduler=False,
        embedder="tfidf",
        **values,
    )


def _deps(engine: Engine, settings: Settings) -> Deps:
    intake = Intake(CoreConfig(policy_version=settings.privacy_policy_version))
    conversations = ConversationService(engine, intake)
    return Deps(
        engine=engine,
        conversations=conversations,
        intake=intake,
        threads=GroupThreads(engine, link=settings.person_link),
        replies=PostponedReplies(engine),
    )


def test_slack_and_teams_are_off_unless_configured_and_the_web_chat_is_always_on(
    engine: Engine, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    deps = _deps(engine, settings)
    assert slack.build(settings, deps) is None
    assert teams.build(settings, deps) is None
    assert mail.build(settings, deps) is None, "no relay configured: no mail"
    chat = web.build(settings, deps)
    assert chat.names == ("local", "demo") and chat.mount is not None
    assert chat.sender is not None and chat.conversations is not None
    assert {p.__module__ for p in PLATFORMS} == {
        "bot.platforms.web",
        "bot.platforms.mail",
        "bot.platforms.slack",
        "bot.platforms.teams",
    }


def test_a_configured_platform_is_wired_by_its_build_alone(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        database_url=f"sqlite:///{tmp_path / 'maatjes.db'}",
        slack_signing_secret=SecretStr("signing"),
        slack_bot_token=SecretStr("xoxb-test"),
        teams_app_id="6d1f7c2a-5b1e-4c3d-9f00-0000000b0701",
        teams_app_secret=SecretStr("secret"),
        teams_tenant_id="3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    )
    maatjes = build(settings)
    served = {name: p for p in maatjes.platforms for name in p.names}
    assert set(served) == {"local", "demo", "slack", "teams"}
    for name in ("slack", "teams"):
        platform = served[name]
        assert platform.mount and platform.sender and platform.conversations
        assert maatjes.delivery.senders[name] is platform.sender
        assert maatjes.delivery.group_conversations[name] is platform.conversations
    # what an approved group's introductions add comes from every platform, configured or not
    # (Teams: a link; Slack: nothing until the introduction is delivered)
    links = maatjes.rounds.group_conversations
    assert type(links["teams"]) is type(served["teams"].conversations)
    assert set(links) == {"local", "teams"}
    assert maatjes.adapter(SlackAdapter) is served["slack"].adapter
    assert maatjes.adapter(Teams) is served["teams"].adapter
    assert build(_settings(tmp_path / "bare")).adapter(SlackAdapter) is None


def test_no_sdk_is_loaded_until_its_platform_is_built() -> None:
    """The composition root and the stores import no SDK: only a configured platform loads its."""
    script = (
        "import json, sys\n"
        "import bot.app, bot.platforms.teams.store, bot.services.rounds\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert not loaded & {"slack_bolt", "slack_sdk", "microsoft_agents", "msal"}


def test_an_introduction_says_where_the_group_talks_however_the_round_was_approved(
    tmp_path: Path,
) -> None:
    """Approved from the command line, which starts no platform: the web chat member's
    introduction links the group's thread, a Teams member's opens a group chat with the others."""
    from storage import outbox, rounds
    from storage import teams as teams_store
    from storage.db import make_engine, session_scope
    from storage.models import Person
    from tests.support.browser import seed_round
    from tests.support.cli import maatjes

    data = tmp_path / "data"
    assert maatjes("demo", data_dir=data).returncode == 0
    round_id = seed_round(data, with_local="Anna")  # Anna and a demo person; then three more
    engine = make_engine(f"sqlite:///{data / 'maatjes.db'}")
    with session_scope(engine) as session:
        pair, club = rounds.groups_of(session, round_id=round_id)
        anna = next(
            pid
            for pid in rounds.members_of(session, group_ids=[pair.id or 0])[pair.id or 0]
            if getattr(session.get(Person, pid), "platform", None) == "local"
        )
        on_teams = rounds.members_of(session, group_ids=[club.id or 0])[club.id or 0][:2]
        for pid, name in zip(on_teams, ("ines@gemeente.nl", "joost@provincie.nl"), strict=True):
            person = session.get(Person, pid)
            assert person is not None
            person.platform, person.platform_user_id = "teams", f"29:{pid}"
            session.add(person)
            teams_store.remember(
                session,
                user_id=f"29:{pid}",
                tenant_id="tenant",
                conversation_id=f"a:{pid}",
                service_url="http://127.0.0.1:9/",
                reference={},
                principal_name=name,
            )
    approved = maatjes("round", "approve", str(round_id), data_dir=data)
    assert approved.returncode == 0, approved.stderr
    with session_scope(engine) as session:
        intros = {
            e.recipient_id: json.dumps(e.payload, ensure_ascii=False)
            for e in outbox.entries(session)
            if e.kind == "introduction"
        }
    assert f"/groups/{pair.id}" in intros[anna], "the web chat member is sent to the thread"
    ines, joost = on_teams
    assert "teams.microsoft.com/l/chat" in intros[ines] and "joost@provincie.nl" in intros[ines]
    assert "ines@gemeente.nl" not in intros[ines], "the chat is with the others"
    assert "teams.microsoft.com/l/chat" in intros[joost] and "ines@gemeente.nl" in intros[joost]
