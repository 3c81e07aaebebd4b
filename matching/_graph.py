"""Shared helpers for score matrices: validation, forbidden pairs and cutting large graphs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import reverse_cuthill_mckee

Scores = NDArray[np.float64] | sp.spmatrix | sp.sparray

#: Above this many people a sparse score matrix is solved in chunks instead of densified.
DENSE_LIMIT = 3000


def size_of(scores: Any) -> int:
    shape = getattr(scores, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError("scores must be a square n×n matrix")
    return int(shape[0])


def dense(scores: Any) -> NDArray[np.float64]:
    """A symmetric float64 copy with a zero diagonal; missing sparse entries become 0."""
    if sp.issparse(scores):
        matrix = np.asarray(scores.toarray(), dtype=np.float64)
    else:
        matrix = np.array(scores, dtype=np.float64)
    if not np.all(np.isfinite(matrix)):
        raise ValueError("scores must be finite numbers")
    matrix = np.maximum(matrix, matrix.T) if sp.issparse(scores) else (matrix + matrix.T) / 2
    np.fill_diagonal(matrix, 0.0)
    return matrix


def symmetric_sparse(scores: Any) -> sp.csr_matrix:
    """A sparse score graph made symmetric (the larger of both directions), no diagonal."""
    graph = sp.csr_matrix(scores, dtype=np.float64)
    graph = graph.maximum(graph.T).tocsr()
    graph.setdiag(0.0)
    graph.eliminate_zeros()
    return graph


def partition_total(scores: Any, groups: Sequence[Sequence[int]]) -> float:
    """The summed within-group score of a partition (sparse: missing entries count 0)."""
    matrix = scores.tocsr() if sp.issparse(scores) else np.asarray(scores)
    result = 0.0
    for group in groups:
        for x, a in enumerate(group):
            for b in group[x + 1 :]:
                result += float(matrix[a, b])
    return result


def forbidden_penalty(matrix: NDArray[np.float64]) -> float:
    """A penalty so large that one forbidden pair costs more than any allowed arrangement gains."""
    n = matrix.shape[0]
    span = float(np.abs(matrix).max()) if matrix.size else 0.0
    return float((2.0 * span + 1.0) * (n + 1))


def apply_forbidden(
    matrix: NDArray[np.float64], forbidden: Iterable[Sequence[int]], *, offset: int = 0
) -> NDArray[np.bool_]:
    """Mark forbidden pairs with the penalty in place; returns the boolean mask of them."""
    n = matrix.shape[0]
    mask = np.zeros((n, n), dtype=bool)
    pairs = [(int(a) - offset, int(b) - offset) for a, b in forbidden]
    for a, b in pairs:
        if 0 <= a < n and 0 <= b < n and a != b:
            mask[a, b] = mask[b, a] = True
    if mask.any():
        matrix[mask] = -forbidden_penalty(np.where(mask, 0.0, matrix))
    return mask


def check_forbidden(n: int, forbidden: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    pairs = []
    for pair in forbidden:
        a, b = (int(x) for x in pair)
        if not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"forbidden pair {pair!r} names someone outside 0..{n - 1}")
        if a != b:
            pairs.append((min(a, b), max(a, b)))
    return pairs


def locality_order(graph: sp.csr_matrix) -> NDArray[np.intp]:
    """An ordering in which neighbours in the graph sit close together (reverse Cuthill–McKee)."""
    return np.asarray(reverse_cuthill_mckee(graph, symmetric_mode=True), dtype=np.intp)


def chunks(order: NDArray[np.intp], size: int, *, even: bool) -> list[NDArray[np.intp]]:
    """Consecutive slices of an ordering; with ``even`` every slice but the last has even length,
    and a short tail is merged into the slice before it."""
    if even and size % 2:
        size += 1
    parts = [order[i : i + size] for i in range(0, len(order), size)]
    if len(parts) > 1 and len(parts[-1]) < size // 2:
        tail = parts.pop()
        parts[-1] = np.concatenate([parts[-1], tail])
    return parts
