"""Themes as pure functions: the three-people rule, quotes from quotable texts only, nearest the
centre, labels that prefer the reader's language, and the same result twice."""

from __future__ import annotations

import tracemalloc
import unicodedata

import numpy as np

from matching.themes import (
    candidate_ks,
    class_tfidf,
    cluster,
    distinct,
    find_themes,
    label_words,
    language_of,
    reduce,
    same_stem,
    words,
)


def _blobs(sizes: list[int], *, dimensions: int = 8, seed: int = 3) -> np.ndarray:
    """Tight groups of vectors around orthogonal directions, one group per size."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, size in enumerate(sizes):
        centre = np.zeros(dimensions)
        centre[group] = 1.0
        rows += [centre + rng.normal(0, 0.05, dimensions) for _ in range(size)]
    matrix = np.array(rows)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def test_a_cluster_of_fewer_than_three_people_is_never_a_theme() -> None:
    # Three groups of six texts: the second is six texts of only two people.
    vectors = _blobs([6, 6, 6])
    owners = [1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 8, 8, 9, 10, 11, 12, 13, 14]
    texts = ["inkoop regels"] * 6 + ["geheim woord"] * 6 + ["bodem grond"] * 6
    found = find_themes(vectors, texts, owners, [True] * 18)
    assert sorted(len(t.people) for t in found) == [6, 6]
    assert all("geheim" not in dict(t.words) for t in found)
    assert all(owners[i] not in (7, 8) for t in found for i in t.members)


def test_quotes_come_from_quotable_texts_of_different_people_nearest_the_centre() -> None:
    vectors = _blobs([6, 6, 6])
    owners = [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    quotable = [True, True, False, True, False, True] + [True] * 12
    texts = [f"tekst {i}" for i in range(18)]
    found = find_themes(vectors, texts, owners, quotable)
    first = next(t for t in found if 0 in t.members)
    assert first.quotes and all(quotable[i] for i in first.quotes)
    assert len({owners[i] for i in first.quotes}) == len(first.quotes) <= 3
    again = find_themes(vectors, texts, owners, quotable)
    assert [(t.members, t.quotes, t.words) for t in again] == [
        (t.members, t.quotes, t.words) for t in found
    ], "the same data gives the same themes"


def test_labels_are_the_words_that_set_a_cluster_apart_in_the_readers_language() -> None:
    texts = [
        "De inkoopregels passen niet bij hergebruik",
        "Procurement rules do not fit reuse",
        "Inkoopregels zijn lastig voor hergebruik",
        "Procurement is hard for reuse",
        "De bodem en de grond zijn vervuild",
    ]
    ranked = class_tfidf(texts, [0, 0, 0, 0, 1])
    assert {w for w, _ in ranked[0][:2]} == {"hergebruik", "inkoopregels"}
    assert "grond" not in dict(ranked[0]) and "bodem" in dict(ranked[1])
    dutch = label_words(ranked[0], texts[:4], language="nl", count=2)
    english = label_words(ranked[0], texts[:4], language="en", count=2)
    assert dutch == ["hergebruik", "inkoopregels"]
    assert "procurement" in english and not set(english) & {"hergebruik", "inkoopregels"}
    assert language_of(texts[0]) == "nl" and language_of(texts[1]) == "en"
    assert words("De en the and van of 2030 is") == []


def _wide(rows: int, width: int, *, seed: int = 5) -> tuple[np.ndarray, list[str]]:
    """Float32 rows of two kinds around a handful of directions, with noise, like stored vectors."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(6, width)).astype(np.float32)
    picked = rng.integers(0, 6, size=rows)
    matrix = directions[picked] + rng.normal(0, 0.3, size=(rows, width)).astype(np.float32)
    kinds = ["ongemak" if i % 2 else "works_on" for i in range(rows)]
    matrix[1::2] += 2.0  # one kind sits apart from the other, as the questions do
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True), kinds


def test_the_reduction_centres_each_kind_without_copying_the_wide_matrix() -> None:
    matrix, kinds = _wide(2_000, 2_048)
    before = matrix.copy()
    tracemalloc.start()
    reduced = reduce(matrix, kinds)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.array_equal(matrix, before), "the input is left as it was"
    # The float32 input is 16 MiB (stored vectors are float32); a centred copy alone would be as
    # large, a float64 one twice as large. What is left are a few thin (texts × 58) matrices.
    assert peak < matrix.nbytes / 2, f"peak {peak / 2**20:.1f} MiB"
    assert reduced.shape == (2_000, 48)
    assert np.allclose(np.linalg.norm(reduced, axis=1), 1.0)
    assert np.array_equal(reduced, reduce(matrix, kinds)), "the same vectors, the same result"

    # The same geometry as an exact SVD of the explicitly centred matrix (a smaller one: a
    # full decomposition of the large one takes long).
    matrix, kinds = _wide(600, 512)
    reduced = reduce(matrix, kinds)
    centred = matrix.astype(np.float64)
    labels = np.asarray(kinds)
    for kind in ("ongemak", "works_on"):
        centred[labels == kind] -= centred[labels == kind].mean(axis=0)
    _, right = np.linalg.eigh(centred.T @ centred)  # ascending: the last 48 are the largest
    exact = centred @ right[:, -48:]
    exact /= np.linalg.norm(exact, axis=1, keepdims=True)
    sample = slice(0, 600, 3)
    difference = reduced[sample] @ reduced[sample].T - exact[sample] @ exact[sample].T
    assert np.abs(difference).mean() < 0.02
    # Centred per kind: which question a text answers no longer separates the texts.
    gap = reduced[labels == "ongemak"].mean(axis=0) - reduced[labels == "works_on"].mean(axis=0)
    assert np.linalg.norm(gap) < 0.1


def _demo() -> tuple[np.ndarray, list[str], list[int], list[str]]:
    """The demo community's ongemak and works-on texts, embedded with the tfidf embedder."""
    from bot.services.community import demo_people
    from matching.embedders import load_embedder

    texts, owners, kinds = [], [], []
    for number, person in enumerate(demo_people()):
        for field in ("ongemak", "works_on"):
            if person[field]:
                texts.append(person[field])
                owners.append(number)
                kinds.append(field)
    return np.asarray(load_embedder("tfidf").encode(texts)), texts, owners, kinds


def test_the_number_of_themes_is_chosen_not_the_largest_tried() -> None:
    vectors, texts, owners, kinds = _demo()
    people = len(set(owners))
    tried = candidate_ks(len(texts), people)
    assert tried.start == 3 and tried.stop - 1 == people // 5, "a theme averages 5 people or more"
    chosen = cluster(vectors, kinds=kinds, people=people)
    assert chosen.k < tried.stop - 1, "the rule chooses, not the top of its range"
    assert chosen.k == people // 10, "no real grouping: about one theme per ten people"
    found = find_themes(vectors, texts, owners, [True] * len(texts), kinds=kinds)
    assert len(found) >= 3 and all(len(t.people) >= 3 for t in found)
    again = cluster(vectors, kinds=kinds, people=people)
    assert again.k == chosen.k and np.array_equal(again.labels, chosen.labels)

    # Noise without any grouping: one theme per ten people, not the most clusters tried.
    noise = np.random.default_rng(11).normal(size=(120, 32))
    assert max(candidate_ks(120, 120)) == 20 and cluster(noise, people=120).k == 12
    assert max(candidate_ks(120, 60)) == 12 and cluster(noise, people=60).k == 6


def test_a_real_grouping_is_found_whatever_the_range() -> None:
    # Five tight groups of ten people: the range runs to 10, the silhouette peaks at 5.
    vectors = _blobs([10, 10, 10, 10, 10], dimensions=12)
    assert max(candidate_ks(50, 50)) == 10
    assert cluster(vectors, people=50).k == 5
    owners = list(range(50))
    found = find_themes(vectors, [f"tekst {i}" for i in range(50)], owners, [True] * 50)
    assert sorted(len(t.people) for t in found) == [10] * 5


# Function words and fragments a label must never show, listed here independently of the code.
FUNCTION_WORDS = set(
    """de den der des het een en van voor met aan als bij dat die dit door geen haar hun hem
    eigen elkaar ook maar niet nog naar over om te tot uit wel wat zijn zij weinig meer andere
    mensen jaar nieuwe the and for with from that this these those are was were has have not
    but its own our their they them you your what which who how all any more most very into
    about after also one two three idea people feels""".split()  # noqa: SIM905
)


def _plain(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def _forms_of_one_word(first: str, second: str) -> bool:
    """circulair/circulaire, hergebruik/hergebruiken, recycled/recyclers: the shorter is the
    longer's beginning, give or take its last two letters (and at least four letters)."""
    a, b = sorted((_plain(first), _plain(second)), key=len)
    return len(a) >= 5 and b.startswith(a[: max(4, len(a) - 2)])


def _assert_reads_well(label: list[str], others: list[set[str]], members: list[str]) -> None:
    assert 1 <= len(label) <= 3, label
    for word in label:
        assert len(word) >= 3 and not word.isdigit() and word not in FUNCTION_WORDS, label
        spread = sum(1 for texts in others if word in texts)
        assert spread * 2 <= len(others), f"{word!r} is in {spread} of {len(others)} clusters"
        assert sum(1 for text in members if word in words(text)) >= 2, f"{word!r}: one text"
    for i, first in enumerate(label):
        for second in label[i + 1 :]:
            assert not _forms_of_one_word(first, second), label


def test_labels_on_the_demo_community_are_short_phrases_of_words_that_set_a_theme_apart() -> None:
    vectors, texts, owners, kinds = _demo()
    found = find_themes(vectors, texts, owners, [True] * len(texts), kinds=kinds)
    assert len(found) >= 3
    vocabulary = [{w for i in t.members for w in words(texts[i])} for t in found]
    for language in ("nl", "en"):
        for theme in found:
            members = [texts[i] for i in theme.members]
            label = label_words(
                theme.words,
                members,
                owners=[owners[i] for i in theme.members],
                language=language,
            )
            _assert_reads_well(label, vocabulary, members)


def test_labels_skip_stop_words_numbers_fragments_common_words_and_second_forms() -> None:
    clusters = {
        0: [
            "In den regio 2030: circulaire inkoop, circulair inkopen en de regio",
            "De regio en de circulaire inkoop: den aanbesteding voor de regio",
            "The region and the circular tender of the regio, circulaire inkoop",
            "Circulair inkopen met een aanbesteding in de regio, 2030",
        ],
        1: [
            "Bodem en grond in de regio: den vervuilde grond",
            "Grond en bagger uit de regio, de bodem",
            "Vervuilde bodem, grond en bagger",
        ],
        2: [
            "Textile collection and sorting in the region; textiel in de regio",
            "Textile sorting: the collection of textiles",
            "Kleding en textiel inzamelen in de regio",
        ],
        3: [
            "Maaisel en bermgras als biomassa",
            "Biomassa uit bermgras en maaisel",
            "Compost van maaisel, biomassa, bermgras",
        ],
    }
    texts = [text for group in clusters.values() for text in group]
    labels = [label for label, group in clusters.items() for _ in group]
    ranked = class_tfidf(texts, labels)
    assert all("regio" not in dict(words_) for words_ in ranked.values()), "in every cluster"
    vocabulary = [{w for text in group for w in words(text)} for group in clusters.values()]
    for label, group in clusters.items():
        for language in ("nl", "en"):
            chosen = label_words(ranked[label], group, language=language)
            _assert_reads_well(chosen, vocabulary, group)
    dutch = label_words(ranked[0], clusters[0], language="nl")
    assert dutch[:2] == ["inkoop", "circulaire"] or set(dutch) >= {"inkoop", "aanbesteding"}
    assert sum(1 for w in dutch if w.startswith("circulai")) <= 1, "one form of a word"
    for pair in (("gebied", "gebieden"), ("recycled", "gerecycled"), ("textiel", "textile")):
        assert same_stem(*pair) and distinct(list(pair)) == [pair[0]], pair
    assert not same_stem("grond", "groen") and not same_stem("gemeente", "gebied")
    english = label_words(ranked[2], clusters[2], language="en")
    assert english[0] in {"textile", "collection", "sorting"} and "textiel" not in english[:2]
    # A word only one person uses is their story, not the theme's.
    owners = [1, 1, 1, 2]
    alone = label_words(ranked[0], clusters[0], owners=owners, language="nl")
    assert "aanbesteding" in alone and "inkoop" not in alone
