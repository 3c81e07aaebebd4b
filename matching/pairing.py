"""Maatjes in pairs: a partition into pairs (plus one trio when the count is odd) with the
largest total affinity.

The exact answer is a maximum-weight perfect matching (Edmonds' blossom algorithm), which costs
O(n³) and takes minutes at a few hundred people. Here:

1. the assignment relaxation (``scipy.optimize.linear_sum_assignment`` on the scores, each
   person "assigned" to a partner) gives a permutation whose total is an upper bound on twice
   the best matching; its cycles are cut into pairs (two-cycles directly, longer cycles by
   taking the better of the alternating edge sets);
2. a 2-opt local search swaps partners between two pairs while that raises the total, many
   independent swaps per pass, vectorised;
3. with an odd count, one person joins the pair where they add the most, and single moves of a
   trio member into another pair are tried until nothing improves;
4. sets of four groups (five in small communities) are re-partitioned exactly, every partition of
   their people evaluated at once in numpy, while that raises the total: this closes the few
   percent that 2-opt's local optima can leave.

Up to ``EXACT_LIMIT`` people the optimum itself is found (dynamic programming over subsets).

Large sparse graphs (a kNN graph of 100,000 people) use the same idea on the graph's edges only:
the sparse assignment (LAPJVsp, ``min_weight_full_bipartite_matching``), cycles cut into pairs,
and 2-opt over every edge, vectorised, disjoint improving swaps applied together.

``bench`` measures the result against networkx's exact matching: ≥ 99 % of the optimum.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from itertools import combinations
from math import comb
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from matching._graph import (
    DENSE_LIMIT,
    apply_forbidden,
    check_forbidden,
    dense,
    partition_total,
    size_of,
    symmetric_sparse,
)

Groups = list[tuple[int, ...]]


def pair_up(scores: Any, *, forbidden: Iterable[Sequence[int]] = ()) -> Groups:
    """Partition ``0..n-1`` into pairs (and one trio if n is odd) maximising the total score.

    ``scores`` is a symmetric dense ndarray or a scipy sparse matrix, where a missing entry means
    "no known affinity" (0). A ``forbidden`` pair is never placed together while any
    arrangement without it exists. Groups come sorted, each with its indices ascending.
    """
    n = size_of(scores)
    pairs = check_forbidden(n, forbidden)
    if n <= 3:
        return [tuple(range(n))] if n else []
    if sp.issparse(scores) and n > DENSE_LIMIT:
        groups = _pair_sparse(symmetric_sparse(scores), pairs)
    else:
        matrix = dense(scores)
        apply_forbidden(matrix, pairs)
        groups = _pair_dense(matrix)
    return sorted(tuple(sorted(g)) for g in groups)


#: The summed within-group score of a partition of pairs (and a trio).
total = partition_total


def greedy_pairs(scores: Any) -> Groups:
    """The simple baseline: repeatedly join the two free people with the highest score."""
    n = size_of(scores)
    graph = symmetric_sparse(scores).tocoo() if sp.issparse(scores) else None
    if graph is not None:
        rows, cols, weights = graph.row, graph.col, graph.data
    else:
        matrix = dense(scores)
        rows, cols = np.triu_indices(n, 1)
        weights = matrix[rows, cols]
    order = np.argsort(-weights, kind="stable")
    free = np.ones(n, dtype=bool)
    groups: Groups = []
    for a, b in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if a != b and free[a] and free[b]:
            free[a] = free[b] = False
            groups.append((a, b))
    rest = np.flatnonzero(free).tolist()
    groups.extend(tuple(rest[i : i + 2]) for i in range(0, len(rest), 2))
    if len(groups) > 1 and len(groups[-1]) == 1:
        last = groups.pop()
        groups[-1] = (*groups[-1], *last)
    return groups


def random_pairs(n: int, seed: int = 0) -> Groups:
    """A random partition into pairs (and a trio when odd): the floor every method must beat."""
    order = np.random.default_rng(seed).permutation(n).tolist()
    groups: Groups = [tuple(order[i : i + 2]) for i in range(0, n - n % 2, 2)]
    if n % 2 and groups:
        groups[-1] = (*groups[-1], order[-1])
    elif n % 2:
        groups = [tuple(order)]
    return groups


# --- dense ------------------------------------------------------------------------------------


#: Up to this many people the best partition is found exactly (dynamic programming over subsets).
EXACT_LIMIT = 20


def _pair_exact(matrix: NDArray[np.float64]) -> Groups:
    """The optimum by memoised search: the lowest free person joins a partner, or (once, when n
    is odd) two partners as the trio. O(2^n · n²) — only for small n."""
    from functools import cache

    n = matrix.shape[0]
    w = matrix.tolist()
    full = (1 << n) - 1

    @cache
    def best(mask: int, trio_left: bool) -> tuple[float, tuple[tuple[int, ...], ...]]:
        if mask == full:
            return 0.0, ()
        i = (~mask & (mask + 1)).bit_length() - 1  # the lowest free person
        found: tuple[float, tuple[tuple[int, ...], ...]] | None = None
        free = [j for j in range(i + 1, n) if not mask >> j & 1]
        for x, j in enumerate(free):
            value, rest = best(mask | 1 << i | 1 << j, trio_left)
            if found is None or value + w[i][j] > found[0]:
                found = (value + w[i][j], ((i, j), *rest))
            if trio_left:
                for k in free[x + 1 :]:
                    value, rest = best(mask | 1 << i | 1 << j | 1 << k, False)
                    gain = w[i][j] + w[i][k] + w[j][k]
                    if value + gain > found[0]:
                        found = (value + gain, ((i, j, k), *rest))
        if found is None:  # an odd person left with the trio already used: cannot happen
            return float("-inf"), ()
        return found

    return list(best(0, n % 2 == 1)[1])


def _pair_dense(matrix: NDArray[np.float64]) -> Groups:
    n = matrix.shape[0]
    if n <= EXACT_LIMIT:
        return _pair_exact(matrix)
    odd = n % 2 == 1
    work = matrix
    if odd:  # a dummy partner worth nothing marks who joins a pair to make the trio
        work = np.zeros((n + 1, n + 1))
        work[:n, :n] = matrix
    best: Groups | None = None
    best_value = -np.inf
    # two starts, each improved by 2-opt: the assignment relaxation's pairs and the greedy ones;
    # the better result wins (so pair_up never does worse than the greedy baseline)
    for pairs in (_assignment_pairs(work), [tuple(g) for g in greedy_pairs(work)]):
        a, b = _two_opt(work, np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]))
        if not odd:
            groups: Groups = list(zip(a.tolist(), b.tolist(), strict=True))
        else:
            keep = (a != n) & (b != n)
            extra = int(np.where(a[~keep] == n, b[~keep], a[~keep])[0])
            groups = _place_trio(matrix, a[keep], b[keep], extra)
        value = total(matrix, groups)
        if value > best_value:
            best, best_value = groups, value
    assert best is not None
    return _refine(matrix, best)


def _cycles(permutation: NDArray[np.intp]) -> Iterator[list[int]]:
    """The cycles of a permutation (an assignment: person → partner), each as a list."""
    seen = np.zeros(len(permutation), dtype=bool)
    for start in range(len(permutation)):
        if seen[start]:
            continue
        cycle = [start]
        seen[start] = True
        nxt = int(permutation[start])
        while not seen[nxt]:
            cycle.append(nxt)
            seen[nxt] = True
            nxt = int(permutation[nxt])
        yield cycle


def _assignment_pairs(matrix: NDArray[np.float64]) -> list[tuple[int, int]]:
    """Pairs cut from the cycles of the best assignment (each person → one partner)."""
    n = matrix.shape[0]
    cost = -matrix.copy()
    np.fill_diagonal(cost, np.abs(matrix).max() * (n + 1) + 1.0)
    _, partner = linear_sum_assignment(cost)
    pairs: list[tuple[int, int]] = []
    loose: list[int] = []
    for cycle in _cycles(partner):
        if len(cycle) == 1:
            loose.append(cycle[0])
            continue
        if len(cycle) == 2:
            pairs.append((cycle[0], cycle[1]))
            continue
        best: tuple[float, list[tuple[int, int]], int | None] | None = None
        length = len(cycle)
        for shift in range(length if length % 2 else 2):
            rotated = cycle[shift:] + cycle[:shift]
            chosen = [(rotated[i], rotated[i + 1]) for i in range(0, length - 1, 2)]
            left = rotated[-1] if length % 2 else None
            value = sum(matrix[x, y] for x, y in chosen)
            if best is None or value > best[0]:
                best = (value, chosen, left)
        assert best is not None
        pairs.extend(best[1])
        if best[2] is not None:
            loose.append(best[2])
    pairs.extend(_greedy_among(matrix, loose))
    return pairs


def _greedy_among(matrix: NDArray[np.float64], people: list[int]) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    free = list(people)
    while len(free) >= 2:
        sub = matrix[np.ix_(free, free)].copy()
        np.fill_diagonal(sub, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sub)), sub.shape)
        a, b = free[int(i)], free[int(j)]
        pairs.append((a, b))
        free = [x for x in free if x not in (a, b)]
    return pairs


def _two_opt(
    matrix: NDArray[np.float64], a: NDArray[np.intp], b: NDArray[np.intp], *, rounds: int = 500
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Swap partners between two pairs while it helps: (a,b),(c,d) → (a,c),(b,d) or (a,d),(b,c)."""
    a, b = a.copy(), b.copy()
    m = len(a)
    if m < 2:
        return a, b
    upper = np.triu(np.ones((m, m), dtype=bool), 1)
    for _ in range(rounds):
        current = matrix[a, b]
        base = current[:, None] + current[None, :]
        cross = matrix[np.ix_(a, a)] + matrix[np.ix_(b, b)] - base  # (a,c),(b,d)
        other = matrix[np.ix_(a, b)] + matrix[np.ix_(b, a)] - base  # (a,d),(b,c)
        use_other = other > cross
        gain = np.where(use_other, other, cross)
        gain[~upper] = 0.0
        candidates = np.argwhere(gain > 1e-12)
        if candidates.size == 0:
            break
        values = gain[candidates[:, 0], candidates[:, 1]]
        taken = np.zeros(m, dtype=bool)
        for index in np.argsort(-values, kind="stable"):
            p, q = candidates[index]
            if taken[p] or taken[q]:
                continue
            taken[p] = taken[q] = True
            ap, bp, aq, bq = a[p], b[p], a[q], b[q]
            if use_other[p, q]:
                a[p], b[p], a[q], b[q] = ap, bq, bp, aq
            else:
                a[p], b[p], a[q], b[q] = ap, aq, bp, bq
    return a, b


def _place_trio(
    matrix: NDArray[np.float64], a: NDArray[np.intp], b: NDArray[np.intp], extra: int
) -> Groups:
    """Put the odd one out where they add most, then improve with single exchanges."""
    groups: list[list[int]] = [[int(x), int(y)] for x, y in zip(a, b, strict=True)]
    gains = matrix[extra, a] + matrix[extra, b]
    trio = int(np.argmax(gains))
    groups[trio].append(extra)

    def value(group: list[int]) -> float:
        return float(sum(matrix[x, y] for i, x in enumerate(group) for y in group[i + 1 :]))

    improved = True
    passes = 0
    while improved and passes < 50:
        improved = False
        passes += 1
        # exchange one trio member with one member of another pair
        for index, group in enumerate(groups):
            if index == trio:
                continue
            before = value(groups[trio]) + value(group)
            best: tuple[float, int, int] | None = None
            for t_pos in range(3):
                for g_pos in range(2):
                    new_trio = list(groups[trio])
                    new_pair = list(group)
                    new_trio[t_pos], new_pair[g_pos] = new_pair[g_pos], new_trio[t_pos]
                    delta = value(new_trio) + value(new_pair) - before
                    if delta > 1e-12 and (best is None or delta > best[0]):
                        best = (delta, t_pos, g_pos)
            if best is not None:
                _, t_pos, g_pos = best
                groups[trio][t_pos], group[g_pos] = group[g_pos], groups[trio][t_pos]
                improved = True
        # move the trio role: one trio member joins another pair instead
        for index, group in enumerate(groups):
            if index == trio:
                continue
            before = value(groups[trio]) + value(group)
            for t_pos in range(3):
                rest = [x for k, x in enumerate(groups[trio]) if k != t_pos]
                mover = groups[trio][t_pos]
                delta = value(rest) + value([*group, mover]) - before
                if delta > 1e-12:
                    groups[trio] = rest
                    group.append(mover)
                    trio = index
                    improved = True
                    break
    return [tuple(g) for g in groups]


# --- exact re-partition of a few groups at a time -----------------------------------------------

#: How many groups are re-partitioned together, and how many neighbours each group pairs with
#: when there are too many groups to try every set.
REFINE_GROUPS = 4
REFINE_NEIGHBOURS = 6
REFINE_ALL_SETS = 3000
REFINE_PASSES = 50
REFINE_WIDER = 128


def _perfect_matchings(people: tuple[int, ...]) -> Iterator[list[tuple[int, ...]]]:
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for j in rest:
        for tail in _perfect_matchings(tuple(p for p in rest if p != j)):
            yield [(first, j), *tail]


@cache
def _partitions(width: int) -> tuple[NDArray[np.intp], tuple[tuple[tuple[int, ...], ...], ...]]:
    """Every partition of ``width`` people into pairs (and one trio when ``width`` is odd): the
    edges each keeps (one row per partition) and its groups. Row 0 is (0,1), (2,3), … with the
    trio, if any, last — the order ``_refine`` lays people out in, so row 0 means "as now"."""
    parts: list[list[tuple[int, ...]]] = []
    if width % 2 == 0:
        parts = list(_perfect_matchings(tuple(range(width))))
    else:
        for trio in combinations(range(width), 3):
            rest = tuple(p for p in range(width) if p not in trio)
            parts.extend([*pairs, trio] for pairs in _perfect_matchings(rest))
    now: list[tuple[int, ...]] = [(i, i + 1) for i in range(0, width - 3 * (width % 2), 2)]
    if width % 2:
        now.append((width - 3, width - 2, width - 1))
    parts.sort(key=lambda groups: sorted(groups) != sorted(now))
    edges = [[e for g in groups for e in combinations(g, 2)] for groups in parts]
    return np.array(edges, dtype=np.intp), tuple(tuple(groups) for groups in parts)


def _refine(matrix: NDArray[np.float64], groups: Groups) -> Groups:
    """Re-partition sets of ``REFINE_GROUPS`` groups optimally while that raises the total.

    2-opt only exchanges partners between two pairs, and some of its local optima stay several
    percent below the best partition. Re-solving four groups at once — every partition of their
    8 (or, with the trio, 9) people, all evaluated together in numpy — closes most of that gap.
    Few groups: every set of four is tried; more: each group with its nearest neighbours. In a
    small community (up to ``REFINE_WIDER`` sets of five) sets of five follow, then four again.
    Disjoint improving sets are applied together, best first, until none is left."""
    groups = [tuple(g) for g in groups]
    if len(groups) < 2:
        return groups
    narrow = min(REFINE_GROUPS, len(groups))
    wide = min(REFINE_GROUPS + 1, len(groups))
    stages = [narrow]
    if wide > narrow and comb(len(groups), wide) <= REFINE_WIDER:
        stages = [narrow, wide, narrow]
    for size in stages:
        groups = _refine_with(matrix, groups, size)
    return groups


def _refine_with(matrix: NDArray[np.float64], groups: Groups, size: int) -> Groups:
    for _ in range(REFINE_PASSES):
        moves: list[tuple[float, tuple[int, ...], tuple[tuple[int, ...], ...]]] = []
        for sets in _refine_sets(matrix, groups, size):
            moves.extend(_improving(matrix, groups, sets))
        if not moves:
            break
        moves.sort(key=lambda move: -move[0])
        taken: set[int] = set()
        replaced: list[tuple[int, ...]] = []
        for _gain, members, new in moves:
            if taken.isdisjoint(members):
                taken.update(members)
                replaced.extend(new)
        groups = [g for i, g in enumerate(groups) if i not in taken] + replaced
    return groups


def _refine_sets(matrix: NDArray[np.float64], groups: Groups, size: int) -> list[NDArray[np.intp]]:
    """Candidate sets of group indices, each as rows of one array per width (pairs only, or
    with the trio), the trio's index last in its row."""
    m = len(groups)
    if comb(m, size) <= REFINE_ALL_SETS:
        candidates: Iterable[tuple[int, ...]] = combinations(range(m), size)
    else:
        member = np.zeros((m, matrix.shape[0]))
        for i, g in enumerate(groups):
            member[i, list(g)] = 1.0
        between = member @ matrix @ member.T
        np.fill_diagonal(between, -np.inf)
        near = np.argsort(-between, axis=1, kind="stable")[:, :REFINE_NEIGHBOURS]
        found: set[tuple[int, ...]] = set()
        for i in range(m):
            for others in combinations(near[i].tolist(), size - 1):
                found.add(tuple(sorted((i, *others))))
        candidates = sorted(found)
    by_width: dict[bool, list[list[int]]] = {False: [], True: []}
    for chosen in candidates:
        row = sorted(chosen, key=lambda i: len(groups[i]))
        by_width[len(groups[row[-1]]) == 3].append(row)
    return [np.array(rows, dtype=np.intp) for rows in by_width.values() if rows]


def _improving(
    matrix: NDArray[np.float64], groups: Groups, sets: NDArray[np.intp]
) -> list[tuple[float, tuple[int, ...], tuple[tuple[int, ...], ...]]]:
    people = np.array([[p for i in row for p in groups[i]] for row in sets], dtype=np.intp)
    edges, parts = _partitions(people.shape[1])
    values = np.zeros((len(sets), len(parts)))
    for e in range(edges.shape[1]):
        values += matrix[people[:, edges[:, e, 0]], people[:, edges[:, e, 1]]]
    best = np.argmax(values, axis=1)
    gains = values[np.arange(len(sets)), best] - values[:, 0]
    moves = []
    for index in np.flatnonzero(gains > 1e-12):
        row = people[index]
        new = tuple(tuple(int(row[p]) for p in g) for g in parts[best[index]])
        moves.append((float(gains[index]), tuple(sets[index].tolist()), new))
    return moves


# --- sparse, at scale ---------------------------------------------------------------------------


def _pair_sparse(graph: sp.csr_matrix, forbidden: list[tuple[int, int]]) -> Groups:
    """Assignment on the sparse graph (LAPJVsp), cycles cut into pairs, then sparse 2-opt."""
    n = graph.shape[0]
    if forbidden:
        graph = graph.tolil()
        for a, b in forbidden:
            graph[a, b] = 0.0
            graph[b, a] = 0.0
        graph = graph.tocsr()
        graph.eliminate_zeros()
    odd = n % 2 == 1
    work = graph
    if odd:  # a dummy node, linked to everyone with weight 0, marks who forms the trio
        link = sp.csr_matrix((np.full(n, 1e-9), (np.arange(n), np.zeros(n, dtype=np.intp))), (n, 1))
        work = sp.bmat([[graph, link], [link.T, None]], format="csr")
    weight = _EdgeWeights(work)
    partner = _sparse_assignment(work)
    if partner is None:
        pairs = greedy_pairs(work)
        partner = np.empty(work.shape[0], dtype=np.intp)
        for x, y in pairs:
            partner[x], partner[y] = y, x
    else:
        partner = _cut_cycles(partner, weight)
    partner = _sparse_two_opt(work, partner, weight)
    if forbidden:
        partner = _split_forbidden(partner, forbidden)
    groups: Groups = [(a, int(partner[a])) for a in range(n) if a < partner[a] and partner[a] < n]
    if odd:
        extra = int(partner[n])
        # without a useful neighbour: the first pair it may join (no forbidden partner)
        best = next((k for k, g in enumerate(groups) if not _clashes(extra, g, forbidden)), 0)
        gain = -1.0
        row = graph.getrow(extra)
        position = {p: k for k, g in enumerate(groups) for p in g}
        for neighbour in row.indices.tolist():
            k = position.get(neighbour)
            if k is not None:
                total_gain = float(graph[extra, groups[k][0]] + graph[extra, groups[k][1]])
                if total_gain > gain and not _clashes(extra, groups[k], forbidden):
                    best, gain = k, total_gain
        groups[best] = (*groups[best], extra)
    return groups


def _clashes(person: int, group: Sequence[int], forbidden: list[tuple[int, int]]) -> bool:
    return any((min(person, g), max(person, g)) in set(forbidden) for g in group)


class _EdgeWeights:
    """Vectorised lookup of w(x, y) in a CSR graph (0 where there is no edge)."""

    def __init__(self, graph: sp.csr_matrix) -> None:
        graph = graph.tocsr()
        graph.sort_indices()
        self.n = graph.shape[0]
        rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(graph.indptr))
        self.keys = rows * self.n + graph.indices.astype(np.int64)
        self.values = graph.data.astype(np.float64)

    def __call__(self, x: NDArray[np.intp], y: NDArray[np.intp]) -> NDArray[np.float64]:
        keys = np.asarray(x, dtype=np.int64) * self.n + np.asarray(y, dtype=np.int64)
        spot = np.searchsorted(self.keys, keys)
        spot = np.minimum(spot, len(self.keys) - 1)
        found = self.keys[spot] == keys if len(self.keys) else np.zeros(len(keys), dtype=bool)
        return np.where(found, self.values[spot] if len(self.keys) else 0.0, 0.0)


def _sparse_assignment(graph: sp.csr_matrix) -> NDArray[np.intp] | None:
    """Each person's partner in the best assignment over the graph's edges, if one exists."""
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    cost = graph.copy()
    # Integer-valued costs (micro-units): LAPJVsp can loop forever on float ties, which exact
    # integer arithmetic avoids (floats hold integers exactly up to 2^53).
    cost.data = np.round(((cost.data.max() if cost.nnz else 0.0) + 1.0 - cost.data) * 1e6)
    try:
        rows, cols = min_weight_full_bipartite_matching(cost)
    except ValueError:  # someone has no edge at all: no full assignment exists
        return None
    partner = np.empty(graph.shape[0], dtype=np.intp)
    partner[rows] = cols
    return partner


def _cut_cycles(assigned: NDArray[np.intp], weight: _EdgeWeights) -> NDArray[np.intp]:
    """Turn an assignment permutation into a perfect pairing (partner[partner[x]] == x)."""
    n = len(assigned)
    partner = np.full(n, -1, dtype=np.intp)
    loose: list[int] = []
    for cycle in _cycles(assigned):
        length = len(cycle)
        if length == 1:
            loose.append(cycle[0])
            continue
        if length == 2:
            partner[cycle[0]], partner[cycle[1]] = cycle[1], cycle[0]
            continue
        ring = np.asarray(cycle)
        edge = weight(ring, np.roll(ring, -1))  # edge k joins cycle[k] and cycle[k+1]
        if length % 2 == 0:
            shift = 0 if edge[0::2].sum() >= edge[1::2].sum() else 1
        else:  # leave out the one whose absence keeps the heaviest alternating set
            best_value, shift = -np.inf, 0
            for s in range(length):
                value = np.roll(edge, -s)[0 : length - 1 : 2].sum()
                if value > best_value:
                    best_value, shift = value, s
        rotated = np.roll(ring, -shift)
        firsts, seconds = rotated[0 : length - 1 : 2], rotated[1:length:2]
        partner[firsts], partner[seconds] = seconds, firsts
        if length % 2:
            loose.append(int(rotated[-1]))
    for i in range(0, len(loose) - 1, 2):
        partner[loose[i]], partner[loose[i + 1]] = loose[i + 1], loose[i]
    return partner


def _sparse_two_opt(
    graph: sp.csr_matrix, partner: NDArray[np.intp], weight: _EdgeWeights, *, passes: int = 30
) -> NDArray[np.intp]:
    """For every edge (a, c) of the graph try (a,b),(c,d) → (a,c),(b,d); apply disjoint gains."""
    coo = graph.tocoo()
    a_all, c_all, w_all = coo.row.astype(np.intp), coo.col.astype(np.intp), coo.data
    partner = partner.copy()
    for _ in range(passes):
        b, d = partner[a_all], partner[c_all]
        useful = (c_all != b) & (a_all != c_all)
        a, c, w, b, d = a_all[useful], c_all[useful], w_all[useful], b[useful], d[useful]
        gain = w + weight(b, d) - weight(a, b) - weight(c, d)
        good = gain > 1e-12
        if not good.any():
            break
        a, b, c, d, gain = a[good], b[good], c[good], d[good], gain[good]
        order = np.argsort(-gain, kind="stable")
        used = np.zeros(len(partner), dtype=bool)
        changed = 0
        for k in order.tolist():
            quad = (int(a[k]), int(b[k]), int(c[k]), int(d[k]))
            if used[list(quad)].any():
                continue
            used[list(quad)] = True
            x, y, z, v = quad
            partner[x], partner[z] = z, x
            partner[y], partner[v] = v, y
            changed += 1
        if changed == 0:
            break
    return partner


def _split_forbidden(
    partner: NDArray[np.intp], forbidden: list[tuple[int, int]]
) -> NDArray[np.intp]:
    """Forbidden pairs that only arose among people without edges: exchange partners."""
    partner = partner.copy()
    banned = set(forbidden)
    n = len(partner)
    for a, b in forbidden:
        if partner[a] != b:
            continue
        for x in range(n):
            y = int(partner[x])
            if x in (a, b) or y in (a, b):
                continue
            if (min(a, x), max(a, x)) not in banned and (min(b, y), max(b, y)) not in banned:
                partner[a], partner[x] = x, a
                partner[b], partner[y] = y, b
                break
    return partner
