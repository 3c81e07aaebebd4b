"""Large communities: an approximate k-nearest-neighbour graph instead of the full n×n matrix.

At 100,000 people the dense affinity matrix alone would take 80 GB. Each person only needs their
closest candidates, so the matcher builds a kNN graph with hnswlib (HNSW, an approximate index:
pip-installable wheels, no GPU, fast multi-threaded build, inner-product space for unit
vectors) and hands the sparse graph to ``pair_up`` and ``form_clubs``. faiss would do as well,
but its CPU wheels are much larger and its exact flat index is no faster at this size.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


def knn_graph(
    vectors: NDArray[np.float32],
    *,
    k: int = 16,
    threads: int | None = None,
    ef_construction: int = 80,
    links: int = 12,
    seed: int = 0,
) -> sp.csr_matrix:
    """Symmetric sparse graph of cosine similarity to each row's ``k`` nearest neighbours.

    ``vectors`` must be L2-normalised. Negative similarities are dropped (no affinity).
    """
    import hnswlib

    n, dimensions = vectors.shape
    if n == 0:
        return sp.csr_matrix((0, 0))
    k = min(k, n - 1)
    if k <= 0:
        return sp.csr_matrix((n, n))
    index = hnswlib.Index(space="ip", dim=dimensions)
    index.init_index(max_elements=n, ef_construction=ef_construction, M=links, random_seed=seed)
    index.set_num_threads(threads or os.cpu_count() or 1)
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index.add_items(data, np.arange(n))
    index.set_ef(max(2 * k, 32))
    neighbours, distances = index.knn_query(data, k=k + 1)
    rows = np.repeat(np.arange(n), k + 1)
    cols = neighbours.ravel().astype(np.intp)
    similarity = 1.0 - distances.ravel().astype(np.float64)  # hnswlib "ip" distance is 1 - dot
    keep = (rows != cols) & (similarity > 0)
    graph = sp.csr_matrix((similarity[keep], (rows[keep], cols[keep])), shape=(n, n))
    return graph.maximum(graph.T).tocsr()


def pairing_upper_bound(graph: sp.csr_matrix) -> float:
    """No pairing can beat half the sum of everyone's best edge (a pair's weight is at most the
    mean of its members' best); with an odd count the trio's members have two edges each, so
    half of the three largest second-best edges is added. With an approximate graph it bounds
    what the graph allows."""
    n = graph.shape[0]
    if n == 0:
        return 0.0
    graph = graph.tocsr()
    first = np.zeros(n)
    second = np.zeros(n)
    for row in range(n):
        values = np.sort(graph.data[graph.indptr[row] : graph.indptr[row + 1]])[::-1]
        if values.size:
            first[row] = max(values[0], 0.0)
        if values.size > 1:
            second[row] = max(values[1], 0.0)
    bound = first.sum() / 2.0
    if n % 2 == 1:
        bound += np.sort(second)[-3:].sum() / 2.0
    return float(bound)


def clubs_upper_bound(graph: sp.csr_matrix, max_size: int) -> float:
    """Each person can share a club with at most ``max_size - 1`` others: half the sum of each
    person's best ``max_size - 1`` edges bounds the total within-club affinity."""
    graph = graph.tocsr()
    total = 0.0
    for row in range(graph.shape[0]):
        values = graph.data[graph.indptr[row] : graph.indptr[row + 1]]
        if values.size:
            top = np.sort(values)[-(max_size - 1) :]
            total += float(np.maximum(top, 0).sum())
    return total / 2.0
