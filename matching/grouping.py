"""Clubjes: small clubs of 3–5 that mix regional and national civil servants.

"Maak kleine clubjes, om dan langzaamaan uit te breiden": existing clubs keep their members and
take newcomers first; the rest form new clubs. Every new club is seeded with one person of the
smaller main group (so regio and rijk meet whenever there are enough of both), then one of the
other, then filled round by round by a capacity-respecting assignment; a local search then
swaps and moves people between clubs while the total within-club affinity rises and the sizes
and the mix stay valid.

Large sparse graphs are cut into chunks of neighbours (reverse Cuthill–McKee) and solved chunk
by chunk, followed by a repair pass for the mix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from matching._graph import (
    DENSE_LIMIT,
    apply_forbidden,
    check_forbidden,
    chunks,
    dense,
    locality_order,
    partition_total,
    size_of,
    symmetric_sparse,
)
from matching.scoring import MAIN_GROUPS

Clubs = list[list[int]]

CHUNK = 400


def form_clubs(
    scores: Any,
    groups: Sequence[str | None],
    *,
    min_size: int = 3,
    max_size: int = 5,
    existing: Iterable[Sequence[int]] = (),
    forbidden: Iterable[Sequence[int]] = (),
) -> Clubs:
    """Partition ``0..n-1`` into clubs of ``min_size..max_size`` maximising within-club affinity.

    ``groups[i]`` is person i's group ("regionaal", "rijk" or anything else). Every club holds
    both main groups whenever the smaller of them has at least as many people as there are
    clubs. ``existing`` clubs keep all their members and are filled with newcomers first, up to
    ``max_size``. When fewer than ``min_size`` newcomers remain and every existing club is full,
    they join existing clubs above ``max_size`` rather than break a club up. With fewer than
    ``min_size`` people in all, everyone forms one club. ``forbidden`` pairs (people who asked
    not to meet again) are kept apart whenever the search finds a way.
    """
    n = size_of(scores)
    if len(groups) != n:
        raise ValueError(f"groups has {len(groups)} labels for {n} people")
    if not 1 <= min_size <= max_size:
        raise ValueError("need 1 <= min_size <= max_size")
    kept = _check_existing(n, existing)
    banned = check_forbidden(n, forbidden)
    labels = [g if g in MAIN_GROUPS else None for g in groups]
    if n == 0:
        return []
    if sp.issparse(scores) and n > DENSE_LIMIT and not kept:
        graph = symmetric_sparse(scores)
        if banned:  # a strongly negative edge: the search moves them apart
            penalty = -(2.0 * float(np.abs(graph.data).max() if graph.nnz else 0.0) + 1.0) * 10
            graph = graph.tolil()
            for a, b in banned:
                graph[a, b] = graph[b, a] = penalty
            graph = graph.tocsr()
        clubs = _clubs_sparse(graph, labels, min_size, max_size)
    else:
        matrix = dense(scores)
        apply_forbidden(matrix, banned)
        clubs = _clubs_dense(matrix, labels, min_size, max_size, kept)
    return sorted(sorted(club) for club in clubs if club)


#: The summed within-club affinity of a set of clubs.
clubs_total = partition_total


def mix_required(groups: Sequence[str | None], clubs: int) -> bool:
    """Whether every club can hold both main groups: the smaller one has a person per club."""
    counts = [sum(1 for g in groups if g == main) for main in MAIN_GROUPS]
    return clubs > 0 and min(counts) >= clubs


def club_sizes(count: int, min_size: int, max_size: int) -> list[int]:
    """How to split ``count`` people into clubs: as few as the maximum allows, sizes even."""
    if count <= 0:
        return []
    k = max(1, math.ceil(count / max_size))
    if k * min_size > count:  # e.g. 5 people with sizes 3..4: keep one club rather than none
        k = max(1, count // min_size)
    base, extra = divmod(count, k)
    return [base + 1 if i < extra else base for i in range(k)]


# --- baselines for the benchmark ------------------------------------------------------------------


def random_clubs(
    groups: Sequence[str | None], *, min_size: int = 3, max_size: int = 5, seed: int = 0
) -> Clubs:
    """Random valid clubs (sizes and mix hold): what any method must beat."""
    rng = np.random.default_rng(seed)
    n = len(groups)
    sizes = club_sizes(n, min_size, max_size)
    labels = [g if g in MAIN_GROUPS else None for g in groups]
    clubs: Clubs = [[] for _ in sizes]
    pool = list(rng.permutation(n).tolist())
    if mix_required(labels, len(sizes)):
        for main in MAIN_GROUPS:
            for club in clubs:
                person = next(p for p in pool if labels[p] == main)
                pool.remove(person)
                club.append(person)
    for club, size in zip(clubs, sizes, strict=True):
        while len(club) < size:
            club.append(pool.pop())
    return clubs


def greedy_clubs(
    scores: Any, groups: Sequence[str | None], *, min_size: int = 3, max_size: int = 5
) -> Clubs:
    """A simple baseline: the same seeding, then each person in turn to the club they like most."""
    matrix = dense(scores)
    labels = [g if g in MAIN_GROUPS else None for g in groups]
    n = len(labels)
    sizes = club_sizes(n, min_size, max_size)
    clubs = _seed(matrix, labels, list(range(n)), len(sizes))
    placed = {p for c in clubs for p in c}
    for person in range(n):
        if person in placed:
            continue
        options = [k for k, c in enumerate(clubs) if len(c) < sizes[k]]
        best = max(options, key=lambda k: float(matrix[person, clubs[k]].sum()))
        clubs[best].append(person)
    return clubs


# --- dense --------------------------------------------------------------------------------------


def _check_existing(n: int, existing: Iterable[Sequence[int]]) -> Clubs:
    kept: Clubs = []
    seen: set[int] = set()
    for club in existing:
        members = [int(x) for x in club]
        for x in members:
            if not 0 <= x < n:
                raise ValueError(f"existing club member {x} is outside 0..{n - 1}")
            if x in seen:
                raise ValueError(f"person {x} is in more than one existing club")
            seen.add(x)
        if members:
            kept.append(members)
    return kept


def _clubs_dense(
    matrix: NDArray[np.float64],
    labels: list[str | None],
    min_size: int,
    max_size: int,
    kept: Clubs,
) -> Clubs:
    n = matrix.shape[0]
    if n < min_size and not kept:
        return [list(range(n))]
    placed = {p for club in kept for p in club}
    newcomers = [p for p in range(n) if p not in placed]
    room = [max(0, max_size - len(club)) for club in kept]
    # newcomers fill existing clubs first; what is left forms new clubs of a valid size
    leftover = max(0, len(newcomers) - sum(room))
    if 0 < leftover < min_size:
        leftover = min_size if len(newcomers) >= min_size else 0
    new_sizes = club_sizes(leftover, min_size, max_size)
    fill = len(newcomers) - leftover
    capacity = _spread(fill, room, [max(0, min_size - len(c)) for c in kept])
    if sum(capacity) < fill:  # nowhere to go: join existing clubs above max_size
        for extra in range(fill - sum(capacity)):
            capacity[extra % len(capacity)] += 1
    total_clubs = len(kept) + len(new_sizes)
    mix = mix_required(labels, total_clubs)
    clubs: Clubs = [list(c) for c in kept]
    clubs.extend(_seed(matrix, labels, newcomers, len(new_sizes), mix=mix))
    locked = np.zeros(n, dtype=bool)
    locked[list(placed)] = True
    targets = [len(c) + capacity[k] for k, c in enumerate(kept)] + new_sizes
    free = [p for p in newcomers if not any(p in c for c in clubs[len(kept) :])]
    if mix:
        free = _reserve_mix(matrix, labels, clubs, targets, free)
    _fill(matrix, clubs, targets, free)
    lower = [len(c) for c in kept] + [min_size] * len(new_sizes)
    lower = [min(low, t) for low, t in zip(lower, targets, strict=True)]
    upper = [max(t, max_size) for t in targets]
    return _improve(matrix, labels, clubs, locked, lower, upper, mix=mix)


def _spread(count: int, room: list[int], need: list[int]) -> list[int]:
    """Share ``count`` newcomers over existing clubs: first up to their minimum, then evenly."""
    capacity = [0] * len(room)
    for k, want in enumerate(need):
        give = min(want, room[k], count)
        capacity[k] += give
        count -= give
    while count > 0:
        open_ = [k for k in range(len(room)) if capacity[k] < room[k]]
        if not open_:
            break
        for k in sorted(open_, key=lambda k: capacity[k] - room[k]):
            if count == 0:
                break
            capacity[k] += 1
            count -= 1
    return capacity


def _seed(
    matrix: NDArray[np.float64],
    labels: list[str | None],
    people: list[int],
    k: int,
    *,
    mix: bool | None = None,
) -> Clubs:
    """Start k clubs far apart: one person of the smaller main group each (diverse seeds by
    farthest-point choice), then their best partner of the other main group."""
    if k == 0:
        return []
    if mix is None:
        mix = mix_required(labels, k)
    counts = {main: sum(1 for p in people if labels[p] == main) for main in MAIN_GROUPS}
    small, large = sorted(MAIN_GROUPS, key=lambda g: (counts[g], g))
    pool = [p for p in people if labels[p] == small] if mix and counts[small] >= k else people
    if len(pool) < k:
        pool = people
    seeds = _farthest(matrix, pool, k)
    clubs: Clubs = [[s] for s in seeds]
    if mix:
        others = [p for p in people if labels[p] == large and p not in seeds]
        if len(others) >= k:
            value = matrix[np.ix_(seeds, others)]
            rows, cols = linear_sum_assignment(-value)
            for r, c in zip(rows, cols, strict=True):
                clubs[int(r)].append(others[int(c)])
    return clubs


def _farthest(matrix: NDArray[np.float64], pool: list[int], k: int) -> list[int]:
    sub = matrix[np.ix_(pool, pool)]
    first = int(np.argmax(sub.sum(axis=1)))  # the best connected starts
    chosen = [first]
    closest = sub[first].copy()
    closest[first] = np.inf
    while len(chosen) < k:
        nxt = int(np.argmin(closest))
        chosen.append(nxt)
        closest = np.maximum(closest, sub[nxt])
        closest[chosen] = np.inf
    return [pool[i] for i in chosen]


def _reserve_mix(
    matrix: NDArray[np.float64],
    labels: list[str | None],
    clubs: Clubs,
    targets: list[int],
    free: list[int],
) -> list[int]:
    """Give every club that lacks a main group its best free person of that group."""
    for main in MAIN_GROUPS:
        lacking = [
            k
            for k, club in enumerate(clubs)
            if len(club) < targets[k] and all(labels[p] != main for p in club)
        ]
        supply = [p for p in free if labels[p] == main]
        if not lacking or not supply:
            continue
        value = np.array([[matrix[p, clubs[k]].sum() for p in supply] for k in lacking])
        rows, cols = linear_sum_assignment(-value)
        for r, c in zip(rows, cols, strict=True):
            clubs[lacking[int(r)]].append(supply[int(c)])
        taken = {supply[int(c)] for c in cols}
        free = [p for p in free if p not in taken]
    return free


def _fill(matrix: NDArray[np.float64], clubs: Clubs, targets: list[int], free: list[int]) -> None:
    """Round by round, every club with room takes one person: a best assignment each round."""
    free = list(free)
    while free:
        open_ = [k for k, club in enumerate(clubs) if len(club) < targets[k]]
        if not open_:
            raise AssertionError("club targets leave people without a club")
        value = np.array(
            [[matrix[p, clubs[k]].mean() if clubs[k] else 0.0 for p in free] for k in open_]
        )
        rows, cols = linear_sum_assignment(-value)
        taken = set()
        for r, c in zip(rows, cols, strict=True):
            clubs[open_[int(r)]].append(free[int(c)])
            taken.add(free[int(c)])
        free = [p for p in free if p not in taken]


def _improve(
    matrix: NDArray[np.float64],
    labels: list[str | None],
    clubs: Clubs,
    locked: NDArray[np.bool_],
    lower: list[int],
    upper: list[int],
    *,
    mix: bool,
    max_steps: int | None = None,
) -> Clubs:
    """Best-improvement local search over swaps (i↔j) and moves (i → other club)."""
    n = matrix.shape[0]
    k = len(clubs)
    if k < 2:
        return clubs
    club_of = np.empty(n, dtype=np.intp)
    for index, club in enumerate(clubs):
        club_of[club] = index
    member = np.zeros((n, k))
    member[np.arange(n), club_of] = 1.0
    near = matrix @ member  # near[i, c]: i's summed affinity to club c's members
    group_code = np.array([MAIN_GROUPS.index(g) if g in MAIN_GROUPS else 2 for g in labels])
    count = np.zeros((k, 3), dtype=np.intp)
    np.add.at(count, (club_of, group_code), 1)
    size = np.bincount(club_of, minlength=k)
    low, high = np.asarray(lower), np.asarray(upper)
    movable = ~locked
    steps = max_steps if max_steps is not None else 50 * n
    for _ in range(steps):
        own = near[np.arange(n), club_of]
        # swaps
        gain = near[:, club_of] + near[:, club_of].T - own[:, None] - own[None, :] - 2.0 * matrix
        valid = (club_of[:, None] != club_of[None, :]) & movable[:, None] & movable[None, :]
        if mix:
            # a person of a main group may leave only if their club keeps another one of it,
            # or the one coming in is of the same group
            can_leave = (group_code == 2) | (count[club_of, np.minimum(group_code, 1)] >= 2)
            same = group_code[:, None] == group_code[None, :]
            valid &= same | (can_leave[:, None] & can_leave[None, :])
        gain = np.where(valid, gain, -np.inf)
        best_swap = np.unravel_index(int(np.argmax(gain)), gain.shape)
        swap_gain = float(gain[best_swap])
        # moves
        move = near - own[:, None]
        ok = movable[:, None] & (size[club_of] > low[club_of])[:, None] & (size < high)[None, :]
        ok &= club_of[:, None] != np.arange(k)[None, :]
        if mix:
            keeps = (group_code == 2) | (count[club_of, np.minimum(group_code, 1)] >= 2)
            ok &= keeps[:, None]
        move = np.where(ok, move, -np.inf)
        best_move = np.unravel_index(int(np.argmax(move)), move.shape)
        move_gain = float(move[best_move])
        if max(swap_gain, move_gain) <= 1e-12:
            break
        if swap_gain >= move_gain:
            i, j = int(best_swap[0]), int(best_swap[1])
            ci, cj = int(club_of[i]), int(club_of[j])
            _shift(near, count, size, matrix, group_code, club_of, i, cj)
            _shift(near, count, size, matrix, group_code, club_of, j, ci)
        else:
            i, c = int(best_move[0]), int(best_move[1])
            _shift(near, count, size, matrix, group_code, club_of, i, c)
    result: Clubs = [[] for _ in range(k)]
    for person in range(n):
        result[int(club_of[person])].append(person)
    return result


def _shift(
    near: NDArray[np.float64],
    count: NDArray[np.intp],
    size: NDArray[np.intp],
    matrix: NDArray[np.float64],
    group_code: NDArray[np.intp],
    club_of: NDArray[np.intp],
    person: int,
    to: int,
) -> None:
    origin = int(club_of[person])
    near[:, origin] -= matrix[:, person]
    near[:, to] += matrix[:, person]
    count[origin, group_code[person]] -= 1
    count[to, group_code[person]] += 1
    size[origin] -= 1
    size[to] += 1
    club_of[person] = to


# --- sparse, at scale ---------------------------------------------------------------------------


def _clubs_sparse(
    graph: sp.csr_matrix, labels: list[str | None], min_size: int, max_size: int
) -> Clubs:
    """Pairs of pairs: the best pairing, each pair contracted to one node, the contracted graph
    paired again; quartets (and quintets around the one trio) are clubs. Sizes other than 3..5
    fall back to solving chunks of neighbours densely. A repair pass then secures the mix."""
    if min_size <= 3 and max_size >= 5:
        clubs = _pairs_of_pairs(graph, labels, min_size, max_size)
    else:
        order = locality_order(graph)
        clubs = []
        for part in chunks(order, CHUNK, even=False):
            sub = np.asarray(graph[part][:, part].toarray(), dtype=np.float64)
            local = [labels[int(p)] for p in part]
            found = _clubs_dense(sub, local, min_size, max_size, [])
            clubs.extend([int(part[i]) for i in club] for club in found)
    if mix_required(labels, len(clubs)):
        _repair_mix(graph, labels, clubs)
    return clubs


def _pairs_of_pairs(
    graph: sp.csr_matrix, labels: list[str | None], min_size: int, max_size: int
) -> Clubs:
    from matching.pairing import pair_up

    n = graph.shape[0]
    pairs = pair_up(graph)
    owner = np.empty(n, dtype=np.intp)
    for k, group in enumerate(pairs):
        owner[list(group)] = k
    contract = sp.csr_matrix((np.ones(n), (np.arange(n), owner)), shape=(n, len(pairs)))
    between = (contract.T @ graph @ contract).tocsr()
    between.setdiag(0.0)
    between.eliminate_zeros()
    clubs: Clubs = []
    for supers in pair_up(between):
        members = [p for k in supers for p in pairs[k]]
        if len(members) <= max_size:
            clubs.append(members)
            continue
        sub = np.asarray(graph[members][:, members].toarray(), dtype=np.float64)
        local = [labels[p] for p in members]
        for club in _clubs_dense(sub, local, min_size, max_size, []):
            clubs.append([members[i] for i in club])
    return clubs


def _repair_mix(graph: sp.csr_matrix, labels: list[str | None], clubs: Clubs) -> None:
    """Swap people so every club holds both main groups, losing as little affinity as possible:
    a club that lacks a group takes one from a club with two or more of it (neighbouring clubs
    first) and gives back the member it misses least."""
    graph = graph.tocsr()
    indptr, indices, data = graph.indptr.tolist(), graph.indices.tolist(), graph.data.tolist()
    club_of = {p: k for k, club in enumerate(clubs) for p in club}

    def tie(person: int, club: Sequence[int]) -> float:
        start, end = indptr[person], indptr[person + 1]
        row = zip(indices[start:end], data[start:end], strict=True)
        return float(sum(w for j, w in row if j in club))

    def count(club: Sequence[int], main: str) -> int:
        return sum(1 for p in club if labels[p] == main)

    for main in MAIN_GROUPS:
        other = MAIN_GROUPS[1 - MAIN_GROUPS.index(main)]
        spare = [k for k, club in enumerate(clubs) if count(club, main) >= 2]
        for k, club in enumerate(clubs):
            if count(club, main):
                continue
            links = Counter(club_of[q] for p in club for q in indices[indptr[p] : indptr[p + 1]])
            donors = [d for d, _ in links.most_common() if d != k and count(clubs[d], main) >= 2][
                :6
            ]
            while not donors and spare:
                d = spare[-1]
                if count(clubs[d], main) >= 2 and d != k:
                    donors = [d]
                else:
                    spare.pop()
            if not donors:
                return
            backs = [p for p in club if labels[p] != other or count(club, other) >= 2] or club
            best: tuple[float, int, int, int] | None = None
            for d in donors:
                donor = clubs[d]
                for give in (p for p in donor if labels[p] == main):
                    rest = [p for p in donor if p != give]
                    for back in backs:
                        stay = [p for p in club if p != back]
                        value = (
                            tie(give, stay) + tie(back, rest) - tie(give, rest) - tie(back, stay)
                        )
                        if best is None or value > best[0]:
                            best = (value, d, give, back)
            assert best is not None
            _, d, give, back = best
            clubs[d].remove(give)
            club.remove(back)
            clubs[d].append(back)
            club.append(give)
            club_of[give], club_of[back] = k, d
