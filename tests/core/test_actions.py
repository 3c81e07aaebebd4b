"""Button actions: one codec, byte-identical to the strings already sent and stored, and a
decoder that answers None, never an exception, for anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.actions import (
    FAMILIES,
    Action,
    CheckInAnswer,
    CheckInSkip,
    FollowUp,
    FollowUpBlock,
    PrivacyExport,
    PrivacyForget,
    PrivacySharing,
    PrivacyStopMatching,
    ReviewApprove,
    ReviewApproveAll,
    ReviewRearrange,
    ReviewReject,
    ReviewSwap,
    decode,
    encode,
    family,
)
from tests.core.strategies import actions

#: The strings buttons carried before actions were typed: messages already sent (Slack, Teams)
#: and outboxes already stored hold exactly these, so they must keep meaning the same.
WIRE = [
    ("review:approve:12:3", ReviewApprove(12, 3)),
    ("review:approve_all:12", ReviewApproveAll(12)),
    ("review:reject:12:3", ReviewReject(12, 3)),
    ("review:swap:12:3", ReviewSwap(12, 3)),
    ("review:swap:12:3:45", ReviewSwap(12, 3, 45)),
    ("review:rearrange:12:3:45:67:0", ReviewRearrange(12, 3, 45, with_person=67)),
    ("review:rearrange:12:3:45:0:2", ReviewRearrange(12, 3, 45, to_position=2)),
    ("review:rearrange:12:3:45:0:0", ReviewRearrange(12, 3, 45)),
    ("followup:8:met", FollowUp(8, "met")),
    ("followup:8:not_yet", FollowUp(8, "not_yet")),
    ("followup:8:not_a_fit", FollowUp(8, "not_a_fit")),
    ("followup:8:block:45", FollowUpBlock(8, 45)),
    ("checkin:5:answer", CheckInAnswer(5)),
    ("checkin:5:answer:phase", CheckInAnswer(5, "phase")),
    ("checkin:5:answer:ongemak", CheckInAnswer(5, "ongemak")),
    ("checkin:5:skip", CheckInSkip(5)),
    ("privacy:matching:off", PrivacyStopMatching()),
    ("privacy:sharing:on", PrivacySharing(True)),
    ("privacy:sharing:off", PrivacySharing(False)),
    ("privacy:export", PrivacyExport()),
    ("privacy:forget", PrivacyForget()),
]

MALFORMED = [
    "",
    ":",
    "review",
    "review:",
    "review:approve",
    "review:approve:1",  # too few numbers
    "review:approve:1:2:3",  # too many
    "review:approve_all:1:2",
    "review:reject:1",
    "review:swap:1",
    "review:swap:1:2:3:4",
    "review:rearrange:1:2:3:4",
    "review:approve:x:1",
    "review:approve:-1:1",
    "review:approve:1.0:1",
    "review:approve: 1:1",
    "review:approve:1:1\n",
    "review:approve:١:١",  # Arabic-Indic digits: digits to str.isdigit, not ids
    "review:approve:²:1",  # superscript: isdigit() but int() fails
    "review:approve:1234567890123456789:1",  # 19 digits: more than a 64-bit id
    "review:unknown:1:1",
    "REVIEW:approve:1:1",
    "followup:1",
    "followup:1:maybe",
    "followup:x:met",
    "followup:1:block",
    "followup:1:block:x",
    "followup:1:block:2:3",
    "followup:1:met:2",
    "checkin:1",
    "checkin:x:answer",
    "checkin:1:answer:name",
    "checkin:1:answer:",
    "checkin:1:answer:phase:2",
    "checkin:1:skip:phase",
    "checkin:1:later",
    "privacy",
    "privacy:",
    "privacy:nonsense",
    "privacy:matching:on",  # never offered: consent for matching is given in the intake
    "privacy:matching",
    "privacy:sharing:maybe",
    "privacy:export:now",
    "yes",
    "cancel",
    "confirm",
    "bouw",
    "consent:yes",
]


@pytest.mark.parametrize(("wire", "action"), WIRE)
def test_every_action_keeps_the_string_it_always_had(wire: str, action: Action) -> None:
    assert encode(action) == wire
    assert decode(wire) == action


@pytest.mark.parametrize("value", MALFORMED)
def test_anything_else_decodes_to_none(value: str) -> None:
    assert decode(value) is None


@given(actions)
def test_decode_inverts_encode(action: Action) -> None:
    assert decode(encode(action)) == action


@given(st.text())
def test_decode_never_raises_on_any_text(value: str) -> None:
    decoded = decode(value)
    assert decoded is None or family(value) is not None


#: Text made of the pieces real values are made of: it reaches deep into every parser.
WORDS = ["approve", "approve_all", "reject", "swap", "rearrange", "block", "answer", "skip"]
WORDS += ["met", "not_yet", "phase", "ongemak", "matching", "sharing", "on", "off", "export"]
NUMBERS = ["0", "1", "007", "-1", "", " ", "١", "²", "9" * 18, "9" * 19]
pieces = st.sampled_from([*FAMILIES, *WORDS, "forget", *NUMBERS])


@given(st.lists(pieces | st.text(max_size=4), max_size=8).map(":".join))
def test_decode_never_raises_on_values_that_look_like_actions(value: str) -> None:
    decoded = decode(value)
    if decoded is not None:
        assert family(value) is not None
        assert decode(encode(decoded)) == decoded


def test_family_names_the_prefix_of_a_damaged_button() -> None:
    assert family("review:approve:x") == "review"
    assert family("followup:") == "followup"
    assert family("checkin:1:later") == "checkin"
    assert family("privacy:nonsense") == "privacy"
    assert family("review") is None
    assert family("yes") is None
    assert family("consent:yes") is None
