"""Explanations a coordinator can trust, read as a coordinator reads them: every member named with
what they bring to whom, only claims that are true of the group, whole-sentence quotes, labels in
the reader's language, and one score scale whose parts add up. Over the demo community (with the
default embedder) and over random communities (random vectors, so no model is needed)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.explain import render_explanation
from bot.core.i18n import translator
from bot.core.vocabulary import PHASES as PHASE_CODES
from matching.embedders import for_matching, load_embedder
from matching.grouping import form_clubs
from matching.pairing import pair_up
from matching.scoring import (
    PARTS,
    PHASES,
    Embedded,
    Floors,
    Profile,
    Weights,
    affinity,
    affinity_parts,
    cross_fit,
    explain,
    points,
    quote,
    sentences,
)
from tests import ROOT

MIX_SENTENCE = {"nl": "Regio en rijk aan één tafel", "en": "Regions and national government at one"}
AHEAD = {"nl": "wie verder is, kan de ander op weg helpen", "en": "whoever is further along"}
FURTHER = {"nl": " verder (", "en": " further along ("}
QUOTED = re.compile(r"„([^”]*)”|“([^”]*)”")
#: Words of Dutch sentences and Dutch codes that an English explanation must not contain
#: (outside quotes of what people wrote themselves).
DUTCH = re.compile(
    r"\b(jullie|zoekt|brengt|delen|deelt|vanuit|regio|rijk|fase|regionaal|verkennen|"
    r"experimenteren|opschalen|verankeren|bouw|kunststoffen|maakindustrie|"
    r"consumptiegoederen|biomassa|voedsel|anders)\b",
    re.IGNORECASE,
)


def _outside_quotes(text: str) -> str:
    return QUOTED.sub(" ", text)


def _sentence(text: str, marker: str) -> str:
    """The sentence of ``text`` that contains ``marker`` (quotes blanked, so no full stop in one
    ends it)."""
    plain = _outside_quotes(text)
    return next((s for s in re.split(r"(?<=[.:])\s+", plain) if marker in s), "")


def _whole(said: str, text: str) -> bool:
    """Whether ``said`` is one or more whole consecutive sentences of ``text``."""
    parts = sentences(text)
    spans = {" ".join(parts[a:b]) for a in range(len(parts)) for b in range(a + 1, len(parts) + 1)}
    return said in spans or f"{said}." in spans


def check_claims(
    explanation: Mapping[str, Any],
    members: Sequence[Profile],
    names: Mapping[int, str],
    language: str,
) -> str:
    """Render ``explanation`` and check what it says against the group it explains."""
    text = render_explanation(explanation, names, translator(language))
    for member in members:
        assert names[member.key] in text, f"{names[member.key]} is not named: {text}"
    groups = {m.group for m in members}
    assert (MIX_SENTENCE[language] in text) == ({"regionaal", "rijk"} <= groups), text
    phases = {m.phase for m in members if m.phase in PHASES}
    assert (AHEAD[language] in text) == (len(phases) > 1), text
    if len(phases) > 1:
        claim = _sentence(text, FURTHER[language].strip())
        ahead, _, behind = claim.partition(FURTHER[language])
        furthest = max(phases, key=PHASES.index)
        for member in members:
            if member.phase == furthest:
                assert names[member.key] in ahead, claim
            elif member.phase in PHASES:
                assert names[member.key] in behind and names[member.key] not in ahead, claim
    written = " ".join(" ".join(m.texts.values()) for m in members)
    for match in QUOTED.finditer(text):
        said = match.group(1) or match.group(2)
        assert "…" not in said, f"a quote is cut: {said}"
        assert said in written, f"not what anyone wrote: {said}"
        assert any(_whole(said, value) for m in members for value in m.texts.values()), (
            f"not whole sentences: {said!r}"
        )
    if language == "en":
        leftover = DUTCH.search(_outside_quotes(text))
        assert leftover is None, f"Dutch in English: {leftover.group(0)!r} in {text}"
    return text


# --- the demo community -------------------------------------------------------------------------


@cache
def demo() -> tuple[list[Profile], dict[int, str], Embedded]:
    people = json.loads((ROOT / "bot" / "demo" / "community.json").read_text())["people"]
    profiles = [
        Profile(
            key=i + 1,
            group=p["group"],
            themes=frozenset(p["themes"]),
            phase=p["phase"],
            texts={f: p.get(f) or "" for f in ("works_on", "seeks", "offers")},
        )
        for i, p in enumerate(people)
    ]
    names = {i + 1: p["name"] for i, p in enumerate(people)}
    embedder = for_matching(load_embedder("default"))  # as the matcher compares people
    vectors = Embedded.of(
        {
            f: embedder.encode([p.texts[f] for p in profiles])
            for f in ("works_on", "seeks", "offers")
        }
    )
    return profiles, names, vectors


@pytest.mark.parametrize("kind", ["clubs", "pairs"])
def test_every_demo_group_is_explained_truthfully_in_both_languages(kind: str) -> None:
    profiles, names, vectors = demo()
    weights = Weights()
    parts = affinity_parts(profiles, vectors, weights)
    scores = affinity(profiles, vectors, weights)
    if kind == "clubs":
        groups = form_clubs(scores, [p.group for p in profiles], min_size=3, max_size=5)
    else:
        groups = pair_up(scores)
    fit = cross_fit(vectors)
    floors = Floors.of(fit, profiles, parts)
    texts = {"nl": set(), "en": set()}
    for members in groups:
        explanation = explain(members, profiles, fit, parts=parts, weights=weights, floors=floors)
        group = [profiles[i] for i in members]
        for language in ("nl", "en"):
            texts[language].add(check_claims(explanation, group, names, language))
        for i, entry in zip(members, explanation["members"], strict=True):
            assert entry["key"] == profiles[i].key
            if entry["via"] == "offers":  # the best fit for what i offers, by the matcher's score
                seekers = [j for j in members if j != i and profiles[j].texts["seeks"]]
                best = max(seekers, key=lambda j: fit[j, i])
                assert entry["with"] == profiles[best].key
                assert fit[best, i] >= floors.fit
        score = explanation["score"]
        assert set(score["parts"]) == set(PARTS)
        assert score["value"] == pytest.approx(sum(score["parts"].values()), abs=1e-6)
        assert score["value"] == pytest.approx(
            points(float(np.triu(scores[np.ix_(members, members)], 1).sum()), weights)
            / score["pairs"],
            abs=0.35,
        )
    for language in ("nl", "en"):
        assert len(texts[language]) == len(groups), "two groups read the same"


def test_a_search_that_points_back_is_quoted_with_what_it_points_at() -> None:
    profiles, names, vectors = demo()
    iris = next(p for p in profiles if names[p.key] == "Iris de Jong")
    rachel = next(p for p in profiles if names[p.key] == "Rachel Cohen")
    members = [profiles.index(iris), profiles.index(rachel)]
    fit = cross_fit(vectors)
    parts = affinity_parts(profiles, vectors)
    floors = Floors(fit=0.0, work=np.inf)  # every seek↔offer counts: the quote is the point
    explanation = explain(members, profiles, fit, parts=parts, floors=floors)
    brings = next(m for m in explanation["members"] if m["key"] == rachel.key)
    assert brings["via"] == "offers" and "zo’n centrum" in brings["seeks"]
    assert brings["context"] == quote(iris.texts["works_on"])
    text = render_explanation(explanation, names, translator("nl"))
    assert f"„{brings['context']}”" in text and "ambachtscentrum" in text


# --- random communities -------------------------------------------------------------------------

TEXTS = [
    "",
    "Kennis van aanbesteden.",
    "We draaien een proef met herbruikbare bekers. Iemand die weet hoe je zo’n proef opschaalt.",
    "Experience with circular tenders for roads, bridges and locks across the country.",
    "Een lange zin " + "over circulair bouwen en hergebruik van materialen " * 6 + "in de regio.",
    "Data uit onze proef. Een draaiboek voor evenementen. Contact met de afvalinzameling!",
    "Such a pilot needs partners. We have the data and the people who run it.",
]
GROUPS = ["regionaal", "rijk", "anders", None]
THEMES = ["bouw", "kunststoffen", "maakindustrie", "consumptiegoederen", "anders"]


@st.composite
def communities(draw: st.DrawFn) -> tuple[list[Profile], Embedded, list[int]]:
    n = draw(st.integers(min_value=2, max_value=8))
    profiles = [
        Profile(
            key=100 + i,
            group=draw(st.sampled_from(GROUPS)),
            themes=frozenset(draw(st.sets(st.sampled_from(THEMES), max_size=3))),
            phase=draw(st.sampled_from([*PHASE_CODES, None])),
            texts={f: draw(st.sampled_from(TEXTS)) for f in ("works_on", "seeks", "offers")},
        )
        for i in range(n)
    ]
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))

    def vectors() -> np.ndarray:
        raw = rng.normal(size=(n, 8))
        return raw / np.linalg.norm(raw, axis=1, keepdims=True)

    size = draw(st.integers(min_value=2, max_value=min(n, 5)))
    members = draw(st.permutations(range(n)))[:size]
    return profiles, Embedded(vectors(), vectors(), vectors()), list(members)


@settings(max_examples=60, deadline=None)
@given(communities())
def test_random_groups_are_explained_truthfully(
    community: tuple[list[Profile], Embedded, list[int]],
) -> None:
    profiles, vectors, members = community
    names = {p.key: f"Persoon {p.key}" for p in profiles}
    parts = affinity_parts(profiles, vectors)
    explanation = explain(members, profiles, cross_fit(vectors), parts=parts)
    explanation = json.loads(json.dumps(explanation))  # as stored
    group = [profiles[i] for i in members]
    for language in ("nl", "en"):
        check_claims(explanation, group, names, language)
    score = explanation["score"]
    assert score["value"] == pytest.approx(sum(score["parts"].values()), abs=1e-6)
    assert all(m["best"] <= 100.0 + 1e-6 for m in explanation["members"])


def test_a_pair_a_trio_and_a_club_of_equally_good_pairs_score_the_same() -> None:
    """The score is a mean over pairs, not a sum: size does not make a group look better."""
    n = 5
    profiles = [Profile(key=i, group="regionaal", themes=frozenset({"bouw"})) for i in range(n)]
    same = np.tile(np.eye(1, 8), (n, 1))
    vectors = Embedded(same, same, same)
    parts = affinity_parts(profiles, vectors)
    fit = cross_fit(vectors)
    values = {
        size: explain(list(range(size)), profiles, fit, parts=parts)["score"]["value"]
        for size in (2, 3, 5)
    }
    assert values[2] == values[3] == values[5]
    # texts that answer each other (1), same work (1), same themes (1), same phase unknown, no mix
    weights = Weights()
    assert values[2] == pytest.approx(
        100 * (weights.cross + weights.work + weights.themes) / (1.0), abs=0.1
    )


# --- quotes -------------------------------------------------------------------------------------


def test_quotes_are_whole_sentences() -> None:
    short = "Data uit onze proef, een draaiboek voor evenementen en een contact."
    assert quote(short) == short[:-1]  # short: the whole text, without its full stop
    two = (
        "We draaien een proef met bekers. Iemand die zo’n proef opschaalt. "
        "Verder nog iets heel anders over energie en warmte in de wijk."
    )
    # the sentence that fits points back: quoted with the one it points at
    assert quote(two, against="opschaalt", limit=80) == (
        "We draaien een proef met bekers. Iemand die zo’n proef opschaalt"
    )
    long = "Een heel lange zin " + "zonder punt " * 30
    assert quote(long) == " ".join(long.split())  # one long sentence: whole, never cut
    many = "Eerst iets anders. " * 10 + "Hier staat de kern over bekers. " + "Nog wat. " * 10
    assert quote(many, against="bekers") == "Hier staat de kern over bekers"


def test_an_explanation_stored_before_members_were_explained_still_reads() -> None:
    stored = {
        "themes": ["bouw"],
        "mix": True,
        "phases": ["verkennen", "experimenteren"],
        "fit": {"seeker": 1, "offerer": 2, "seeks": "circulair inkopen", "offers": "ervaring"},
    }
    names = {1: "Anna", 2: "Bram"}
    nl = render_explanation(stored, names, translator("nl"))
    assert "Anna zoekt „circulair inkopen”" in nl
    assert "(verkennen en experimenteren)" in nl  # short phase words, joined as a list
    en = render_explanation(stored, names, translator("en"))
    assert "(exploring and experimenting)" in en


def test_floors_of_an_empty_community_count_nothing_as_a_fit() -> None:
    nothing = np.zeros((0, 0))
    floors = Floors.of(nothing, [], {"work": nothing})
    assert floors.fit == floors.work == np.inf
