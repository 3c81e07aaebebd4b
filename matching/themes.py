"""Recurring themes in a community's texts: clusters of stored vectors, labelled by their words.

Pure: vectors and texts in, themes out (no I/O, nothing of ours). Deterministic for the same
input: the reduction and the clustering use fixed seeds, and ties are broken by position.

- **Clusters.** Vectors (L2-normalised), centred per kind of text, are reduced to at most 48
  dimensions (a randomized truncated SVD that never copies the wide matrix) and clustered with
  k-means for every k from 3 to 20 (at most one per 5 people). Where the silhouette shows a
  real grouping, the smallest k within 0.02 of the best silhouette wins; where it shows none,
  one theme per 10 people (silhouettes on a fixed sample of at most 2,000 texts, so 10,000
  texts stay quick). See :func:`cluster` for why.
- **Labels.** A class-based TF-IDF: a word weighs by how often it occurs in the cluster's texts
  against how common it is across all clusters, so the words that set a cluster apart come first;
  a word in most clusters does not count at all. Neither do Dutch and English stop words, numbers
  or words under 3 letters. A label is a short phrase of up to three words that at least two of
  the cluster's people use, each form of a word once, in the reader's language first (texts are
  mixed; the reader reads one).
- **Quotes.** The texts nearest a cluster's centre, from the texts allowed to be quoted.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

#: The smallest number of different people a theme must stand for to be shown at all.
MIN_PEOPLE: Final = 3
_DIMENSIONS: Final = 48
_SAMPLE: Final = 2_000
_SEED: Final = 0
#: How the number of themes is chosen (see :func:`cluster`): the most clusters tried; the
#: silhouette from which the texts count as grouped at all; how far below the best silhouette a
#: smaller k may score and still win; without a grouping, about how many people per theme.
_LARGEST: Final = 20
_STRUCTURE: Final = 0.25
_TOLERANCE: Final = 0.02
_PER_THEME: Final = 10

# Short built-in lists: function words and the words every text in this community uses.
STOP_NL: Final = frozenset(
    """aan al alle als ander andere ben bij bijvoorbeeld binnen daar dan dat de deze die dit doen
    door dus een eens elk en er ga gaan geen geven goed graag had heb hebben heeft hem het hier hij
    hoe hun iemand iets ik in is ja je jij jullie kan kan kom komen kun kunnen maar maken me meer
    met mij mijn moet moeten mogen na naar net niet niets nog nu of om onder ons onze ook op over
    per sommige staat te tegen toch tot twee u uit van veel voor vooral waar wat we wel werk werken
    werkt wie wij wil willen word worden wordt zal ze zelf zich zij zijn zo zoals zou zouden zonder
    steeds alleen echt hele heel andere iedereen elke gaat weer want omdat terwijl tussen samen
    daarbij daarvoor hierin ermee erbij welke waarin waarbij waardoor altijd niemand goede weet
    weten nooit vaak eerst eerste alles iets echt gewoon hebt kijk kijken zien ziet
    weinig minder meer den der dezelfde hetzelfde beter
    circulair circulaire circulaires economie""".split()  # noqa: SIM905 (a word list reads better as text)
)
STOP_EN: Final = frozenset(
    """a about after all also am an and any are as at be because been being but by can could did do
    does doing for from get gets had has have having he her here him his how i if in into is it its
    just like me more most my no not of on one only or other our out over own same she should so
    some such than that the their them then there these they this those through to too under up us
    very was we were what when where which while who why will with would you your work working
    works each every many much need needs want wants way ways still really often between always
    never nobody everyone everybody something anything stay know first make makes made
    new use used using away asking ask arrive better less same
    circular circularity economy""".split()  # noqa: SIM905
)
# More words that never make a theme: the rest of the usual function-word lists (Snowball's Dutch
# list and the common English ones), number words, and the everyday words of any text (people,
# year, own, new, idea, feels) that say nothing about what a text is about. They do not count
# towards a text's language (the lists above do), only against a word being a label.
_MORE_NL: Final = frozenset(
    """aangezien achter af afgelopen allebei alsnog anderen anders beide bent betreft bijna boven
    buiten daarna daarnaast daarom dat deed den der des dezelfde doch doet drie dus eigen eigenlijk
    elkaar enige enkel enkele erg even ge gedaan gehad geleden gelijk geweest gewoon gezien haar
    hare hebt hen hierbij hoewel hunne iedere ieder jaar jaren jouw juist krijgen krijgt kunt
    laatste later laten liever maakt mag meeste men mensen misschien mocht moest mogelijk nadat
    natuurlijk nieuw nieuwe ofwel ondanks opnieuw overal pas plaats precies reeds rond sinds soms
    staan tamelijk tijd toen totdat uiteindelijk uw vanaf vanuit verder verschillende via wanneer
    waren was werd wezen wilde zeer zelfs zeker zit zitten zodat zowel zulke zullen dingen ding
    keer kant lang manier beetje vind vindt denk denken zegt zeggen gaan gaat blijft blijven
    blijkt blijken eén één vier vijf zes zeven acht negen tien elf twaalf twintig dertig veertig
    vijftig zestig zeventig tachtig negentig honderd duizend miljoen miljard procent""".split()  # noqa: SIM905
)
_MORE_EN: Final = frozenset(
    """above across afterwards again against almost along already although among another anyone
    anything around back became become becomes before behind being below beside besides beyond
    both cannot could does done down during either else enough even ever everything few former
    further hence hers herself himself however indeed itself last latter least less many may
    might mine myself neither nevertheless next none nor nothing now nowhere off once onto others
    otherwise ours ourselves perhaps please rather several shall since someone sometimes
    somewhere than thereby therefore though thus together toward towards until upon whether
    whom whose within without yet yours yourself idea ideas thing things people person year years
    time times lot lots bit kind feel feels felt fit fits own owns apply applies get got getting
    going goes try tries trying tried say says said see sees seen think thinks look looks keep
    keeps find finds found give gives take takes put puts turn turns seem seems let lets two
    three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred
    thousand million billion percent""".split()  # noqa: SIM905
)
STOP_WORDS: Final = STOP_NL | STOP_EN | _MORE_NL | _MORE_EN
_WORD: Final = re.compile(r"[^\W\d_][^\W_]*(?:[-'][^\W\d_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """The content words of a text, lower case: no stop words, numbers or words under 3 letters."""
    found = (w.lower() for w in _WORD.findall(text))
    return [w for w in found if len(w) >= 3 and w not in STOP_WORDS]


def language_of(text: str) -> str:
    """ "nl" or "en", by which language's function words the text uses more (Dutch on a tie)."""
    tokens = [w.lower() for w in _WORD.findall(text)]
    dutch = sum(1 for w in tokens if w in STOP_NL)
    english = sum(1 for w in tokens if w in STOP_EN)
    return "en" if english > dutch else "nl"


@dataclass(frozen=True)
class Clustering:
    """Which cluster each text is in (-1: none), and the cluster centres in the reduced space."""

    labels: NDArray[np.int64]
    centres: NDArray[np.float64]
    reduced: NDArray[np.float64]
    k: int


def _kind_rows(kinds: Sequence[str] | None, n: int) -> list[NDArray[np.intp]]:
    """The rows of each kind of text, kinds in sorted order (one group of all rows without)."""
    if kinds is None:
        return [np.arange(n)]
    labels = np.asarray(list(kinds))
    return [np.flatnonzero(labels == kind) for kind in sorted(set(labels.tolist()))]


def reduce(vectors: NDArray[Any], kinds: Sequence[str] | None = None) -> NDArray[np.float64]:
    """At most 48 dimensions, rows normalised again (cosine distances survive the reduction).

    Each kind of text (the question it answers) is centred on its own mean first: otherwise the
    strongest split is which question was answered ("what I work on" against "my ongemak"), not
    what about. The centring is implicit: the wide matrix (20,000 texts of 4,096 dimensions are
    312 MiB in float32) is only multiplied with, never copied, centred or turned into float64,
    so the peak memory is that of a few thin matrices (a randomized SVD, Halko et al. 2011,
    with a fixed seed, so the same vectors give the same result)."""
    matrix = np.asarray(vectors)
    if matrix.dtype not in (np.float32, np.float64):
        matrix = matrix.astype(np.float32)
    n, width = matrix.shape
    groups = _kind_rows(kinds, n) if kinds is not None else []
    # The mean of each kind: a (kinds × n) @ (n × width) product, no copy of the rows.
    means = np.zeros((len(groups), width), dtype=matrix.dtype)
    for g, rows in enumerate(groups):
        if len(rows):
            picker = np.zeros(n, dtype=matrix.dtype)
            picker[rows] = 1.0 / len(rows)
            means[g] = picker @ matrix
    owner = np.zeros(n, dtype=np.intp)
    for g, rows in enumerate(groups):
        owner[rows] = g

    def times(right: NDArray[Any]) -> NDArray[Any]:
        """(matrix − its kind means) @ right."""
        product: NDArray[Any] = matrix @ right
        if groups:
            product -= (means @ right)[owner]
        return product

    def transposed_times(left: NDArray[Any]) -> NDArray[Any]:
        """(matrix − its kind means).T @ left."""
        product: NDArray[Any] = matrix.T @ left
        if groups:
            sums = np.zeros((len(groups), left.shape[1]), dtype=left.dtype)
            np.add.at(sums, owner, left)
            product -= means.T @ sums
        return product

    if width > _DIMENSIONS and n > _DIMENSIONS:
        reduced = _randomized_projection(times, transposed_times, width, matrix.dtype)
    else:
        # Small either way (at most 48 rows or 48 columns): centre a copy.
        reduced = matrix - means[owner] if groups else matrix
    reduced = np.asarray(reduced, dtype=np.float64)
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    return np.asarray(reduced / np.where(norms == 0, 1.0, norms), dtype=np.float64)


def _orthonormal(columns: NDArray[Any]) -> NDArray[np.float64]:
    """An orthonormal basis of the columns of a thin matrix: Cholesky QR twice (the Gram matrix
    is tiny, so this takes milliseconds where LAPACK's QR took a second on 2 shared cores); a
    plain QR when the columns are (nearly) dependent, e.g. many identical texts."""
    basis = np.asarray(columns, dtype=np.float64)
    try:
        for _ in range(2):
            lower = np.linalg.cholesky(basis.T @ basis)
            basis = basis @ np.linalg.inv(lower).T
    except np.linalg.LinAlgError:
        basis, _ = np.linalg.qr(np.asarray(columns, dtype=np.float64))
    if not np.all(np.isfinite(basis)):
        basis, _ = np.linalg.qr(np.asarray(columns, dtype=np.float64))
    return np.asarray(basis, dtype=np.float64)


def _randomized_projection(
    times: Callable[[NDArray[Any]], NDArray[Any]],
    transposed_times: Callable[[NDArray[Any]], NDArray[Any]],
    width: int,
    dtype: Any,
) -> NDArray[Any]:
    """U·Σ of the first :data:`_DIMENSIONS` singular vectors of the (implicit) matrix: a
    randomized range finder with 10 extra columns and 5 power iterations (as scikit-learn's
    TruncatedSVD), orthonormalised between them for stability."""
    rng = np.random.default_rng(_SEED)
    sketch = rng.standard_normal((width, _DIMENSIONS + 10), dtype=np.float32).astype(dtype)
    basis = _orthonormal(times(sketch))
    for _ in range(5):
        back = _orthonormal(transposed_times(basis.astype(dtype)))
        basis = _orthonormal(times(back.astype(dtype)))
    small = np.asarray(transposed_times(basis.astype(dtype)), dtype=np.float64)  # width × cols
    # The left singular vectors of small.T from its tiny Gram matrix (a full SVD of the
    # columns × width matrix is needlessly slow); largest first.
    values, vectors = np.linalg.eigh(small.T @ small)
    order = np.argsort(-values, kind="stable")[:_DIMENSIONS]
    sigma = np.sqrt(np.clip(values[order], 0.0, None))
    projected: NDArray[Any] = (basis @ vectors[:, order]) * sigma
    return projected


def candidate_ks(texts: int, people: int | None = None, *, largest: int = _LARGEST) -> range:
    """The numbers of clusters tried: from 3 (two halves of a community say little) up to one
    for every 5 people, so that a theme averages at least 5 people, and one for every 5 texts;
    at most ``largest``. A small community still gets 3 (2 with fewer than 15 texts): the
    three-people rule then drops what is too thin."""
    people = texts if people is None else people
    top = max(2, min(3, texts // 5), min(largest, texts // 5, people // 5))
    return range(min(3, top), top + 1)


def cluster(
    vectors: NDArray[Any],
    *,
    kinds: Sequence[str] | None = None,
    people: int | None = None,
    largest: int = _LARGEST,
) -> Clustering:
    """k-means for each k of :func:`candidate_ks` (texts centred per kind first, see
    :func:`reduce`), and one of them chosen by the silhouette, but only where it means something.

    Where the texts have a real grouping (the best silhouette is at least :data:`_STRUCTURE`,
    Kaufman and Rousseeuw's threshold for a substantial structure; the benchmark's planted
    lessons score about 0.3), the smallest k whose silhouette is within :data:`_TOLERANCE` of
    the best wins: as good a split, with fewer and broader themes. Where they have none (the
    demo community's texts score 0.03 to 0.06 for every k), the silhouette creeps up with k and
    its best is noise, nearly always the largest k tried; there one theme per
    :data:`_PER_THEME` people is taken (within the range): broad enough to be a lesson of the
    community, narrow enough to say something. Deterministic: fixed seeds, k tried in order."""
    n = len(vectors)
    if n < 2 * MIN_PEOPLE:
        return Clustering(np.full(n, -1, dtype=np.int64), np.zeros((0, 1)), np.zeros((n, 1)), 0)
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    reduced = reduce(vectors, kinds)
    tried: list[tuple[float, int, Any]] = []
    for k in candidate_ks(n, people, largest=largest):
        model = KMeans(n_clusters=k, n_init=3, random_state=_SEED).fit(reduced)
        if len(set(model.labels_.tolist())) < 2:
            continue
        score = float(
            silhouette_score(
                reduced, model.labels_, sample_size=min(n, _SAMPLE), random_state=_SEED
            )
        )
        tried.append((score, k, model))
    if not tried:
        return Clustering(np.full(n, -1, dtype=np.int64), np.zeros((0, 1)), reduced, 0)
    best = max(score for score, _, _ in tried)
    if best >= _STRUCTURE:
        _, k, model = next(item for item in tried if item[0] >= best - _TOLERANCE)
    else:
        target = (people if people is not None else n) // _PER_THEME
        _, k, model = min(tried, key=lambda item: (abs(item[1] - target), item[1]))
    return Clustering(
        np.asarray(model.labels_, dtype=np.int64),
        np.asarray(model.cluster_centers_, dtype=np.float64),
        reduced,
        k,
    )


def class_tfidf(texts: Sequence[str], labels: Sequence[int]) -> dict[int, list[tuple[str, float]]]:
    """Per cluster, its words by class-based TF-IDF (highest first; ties alphabetical).

    tf: a word's share of the cluster's words; idf: log(1 + mean words per cluster / the word's
    count over all clusters). A word that occurs in more than half of the clusters (with three
    clusters or more) is left out altogether: however often one cluster uses it, it does not set
    that cluster apart ("regio", "gemeente", "pilot" in a community of regional civil servants)."""
    counts: dict[int, Counter[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        if label >= 0:
            counts.setdefault(label, Counter()).update(words(text))
    if not counts:
        return {}
    overall: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for counter in counts.values():
        overall.update(counter)
        spread.update(counter.keys())
    common = {w for w, n in spread.items() if n * 2 > len(counts)} if len(counts) >= 3 else set()
    mean = sum(overall.values()) / len(counts)
    ranked: dict[int, list[tuple[str, float]]] = {}
    for label, counter in counts.items():
        total = sum(counter.values()) or 1
        scored = [
            (word, (n / total) * math.log(1 + mean / overall[word]))
            for word, n in counter.items()
            if word not in common
        ]
        ranked[label] = sorted(scored, key=lambda item: (-item[1], item[0]))
    return ranked


def _plain(word: str) -> str:
    """A word without accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _shares_a_stem(first: str, second: str) -> bool:
    a, b = sorted((first, second), key=lambda w: (len(w), w))
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= 4 and shared >= len(a) - 3


def same_stem(first: str, second: str) -> bool:
    """Whether two words are forms of one word (circulair, circulaire; hergebruik, hergebruiken;
    recycled, recycling, gerecycled; textiel, textile): the shorter, accents left out, shares all
    but its last three letters, and at least four, with the longer; also with a Dutch past
    participle's "ge-" left out of both."""
    a, b = _plain(first), _plain(second)
    if _shares_a_stem(a, b):
        return True
    a, b = (w[2:] if w.startswith("ge") and len(w) >= 7 else w for w in (a, b))
    return _shares_a_stem(a, b)


def distinct(ranked: Sequence[str]) -> list[str]:
    """The words in order, each form of a word only once (its first, highest ranked form)."""
    kept: list[str] = []
    for word in ranked:
        if not any(same_stem(word, other) for other in kept):
            kept.append(word)
    return kept


def label_words(
    ranked: Sequence[tuple[str, float]],
    texts: Sequence[str],
    *,
    language: str,
    owners: Sequence[int] | None = None,
    count: int = 3,
) -> list[str]:
    """The top ``count`` words of a cluster for a reader of ``language``, a short phrase.

    Only words that at least two of the cluster's people use (a word one person wrote is their
    story, not the theme's), each form of a word once, and the words that occur in the cluster's
    texts in the reader's language first; words of the other language fill up when there are
    too few. ``texts``: the cluster's texts; ``owners``: the person of each (each text its own
    person without). Never empty while the cluster has a word at all."""
    people: dict[str, set[int]] = {}
    own: set[str] = set()
    for position, text in enumerate(texts):
        found = set(words(text))
        who = owners[position] if owners is not None else position
        for word in found:
            people.setdefault(word, set()).add(who)
        if language_of(text) == language:
            own.update(found)
    shared = [w for w, _ in ranked if len(people.get(w, ())) >= 2]
    preferred = [w for w in shared if w in own] + [w for w in shared if w not in own]
    chosen = distinct(preferred)[:count]
    if not chosen and ranked:
        chosen = [ranked[0][0]]
    return chosen


def nearest(clustering: Clustering, label: int, allowed: Sequence[bool]) -> list[int]:
    """Positions of the allowed texts of cluster ``label``, nearest its centre first."""
    members = [
        i for i in range(len(clustering.labels)) if clustering.labels[i] == label and allowed[i]
    ]
    if not members:
        return []
    centre = clustering.centres[label]
    distance = np.linalg.norm(clustering.reduced[members] - centre, axis=1)
    order = sorted(range(len(members)), key=lambda j: (float(distance[j]), members[j]))
    return [members[j] for j in order]


@dataclass(frozen=True)
class Theme:
    """One cluster that stands for at least :data:`MIN_PEOPLE` people."""

    cluster: int
    members: tuple[int, ...]  # positions of its texts
    people: frozenset[int]
    words: tuple[tuple[str, float], ...]  # class-based TF-IDF, highest first (at most 40)
    quotes: tuple[int, ...]  # positions of quotable texts, nearest the centre first


def find_themes(
    vectors: NDArray[Any],
    texts: Sequence[str],
    owners: Sequence[int],
    quotable: Sequence[bool],
    *,
    kinds: Sequence[str] | None = None,
    quotes: int = 3,
    largest: int = _LARGEST,
) -> list[Theme]:
    """The themes among ``texts`` (one vector each, ``owners`` the person of each): clusters
    of at least :data:`MIN_PEOPLE` different people, most people first. A theme's quotes are
    at most ``quotes`` texts of different people, from ``quotable`` texts only. ``kinds``: the
    question each text answers (see :func:`centre`)."""
    clustering = cluster(vectors, kinds=kinds, people=len(set(owners)), largest=largest)
    ranked = class_tfidf(texts, clustering.labels.tolist())
    found: list[Theme] = []
    for label in range(clustering.k):
        members = tuple(int(i) for i in np.flatnonzero(clustering.labels == label))
        people = frozenset(owners[i] for i in members)
        if len(people) < MIN_PEOPLE:
            continue
        chosen: list[int] = []
        quoted: set[int] = set()
        for i in nearest(clustering, label, quotable):
            if owners[i] not in quoted:
                chosen.append(i)
                quoted.add(owners[i])
            if len(chosen) == quotes:
                break
        found.append(
            Theme(
                cluster=label,
                members=members,
                people=people,
                words=tuple(ranked.get(label, [])[:40]),
                quotes=tuple(chosen),
            )
        )
    return sorted(found, key=lambda theme: (-len(theme.people), theme.members[0]))
