"""Hypothesis strategies for the core's values: every kind of button action."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.core.actions import (
    FOLLOW_UP_ANSWERS,
    PROFILE_UPDATES,
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
)

ids = st.integers(min_value=0, max_value=10**18 - 1)
#: 0 means "none" on the wire, so an optional id is None or positive.
optional_ids = st.none() | st.integers(min_value=1, max_value=10**18 - 1)
actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(ReviewApprove, ids, ids),
    st.builds(ReviewApproveAll, ids),
    st.builds(ReviewReject, ids, ids),
    st.builds(ReviewSwap, ids, ids, st.none() | ids),
    st.builds(ReviewRearrange, ids, ids, ids, optional_ids, optional_ids),
    st.builds(FollowUp, ids, st.sampled_from(FOLLOW_UP_ANSWERS)),
    st.builds(FollowUpBlock, ids, ids),
    st.builds(CheckInAnswer, ids, st.none() | st.sampled_from(PROFILE_UPDATES)),
    st.builds(CheckInSkip, ids),
    st.just(PrivacyStopMatching()),
    st.builds(PrivacySharing, st.booleans()),
    st.just(PrivacyExport()),
    st.just(PrivacyForget()),
)
