"""``maatjes bench matching``: quality and speed of the matcher, printed as tables.

Sections (all by default):

``optimality``  pair_up against networkx's exact maximum-weight matching, greedy and random
``clubs``       form_clubs against random valid clubs and a greedy baseline at n = 300
``scale``       100,000 synthetic clustered 512-d profiles: vectors → kNN graph → pairs, clubs
``embedders``   sentences per second for each embedder on this machine
``quality``     ROC AUC and precision@1 on the labelled set (matching/data/labelled_pairs.json,
                where the default was developed) and the held-out set (heldout_pairs.json)
``simulation``  12 monthly clubs rounds over a synthetic community with hidden true fits, with and
                without learning from the follow-up (``matching/bench_simulation.py``)

networkx is only needed for ``optimality`` (it comes with the test extra). Figures are
measured, never asserted: the README records them with the machine they came from.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from matching.embedders import EmbedderUnavailable, for_matching, load_embedder
from matching.grouping import clubs_total, form_clubs, greedy_clubs, mix_required, random_clubs
from matching.pairing import greedy_pairs, pair_up, random_pairs, total

LABELLED = Path(__file__).resolve().parent / "data" / "labelled_pairs.json"
HELDOUT = Path(__file__).resolve().parent / "data" / "heldout_pairs.json"
SECTIONS = ("optimality", "clubs", "scale", "embedders", "quality", "simulation")
EMBEDDERS = ("default", "e5", "use", "tfidf", "sentence-transformers:all-MiniLM-L6-v2")
GROUP_SHARE = {"regionaal": 0.6, "rijk": 0.3, "anders": 0.1}

Print = Callable[[str], None]


@dataclass
class Report:
    """What a bench run measured, section by section (also printed as it goes)."""

    machine: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)


def machine() -> dict[str, Any]:
    memory = None
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            memory = round(int(info.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:  # pragma: no cover - not Linux
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover - not Linux
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


# --- instances ------------------------------------------------------------------------------------


def uniform_scores(n: int, seed: int) -> NDArray[np.float64]:
    """Independent uniform affinities: the hardest case for local search."""
    x = np.random.default_rng(seed).random((n, n))
    s = (x + x.T) / 2
    np.fill_diagonal(s, 0.0)
    return s


def clustered_vectors(
    n: int, *, dimensions: int = 512, clusters: int | None = None, seed: int = 0
) -> NDArray[np.float32]:
    """Unit vectors around random centres, like profiles around a handful of opgaven."""
    rng = np.random.default_rng(seed)
    clusters = clusters or max(2, n // 250)
    centres = rng.standard_normal((clusters, dimensions)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    x = centres[labels] + 0.8 * rng.standard_normal((n, dimensions)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def embedding_scores(n: int, seed: int) -> NDArray[np.float64]:
    x = clustered_vectors(n, dimensions=64, clusters=max(2, n // 25), seed=seed)
    s: NDArray[np.float64] = np.clip(x @ x.T, 0, None).astype(np.float64)
    np.fill_diagonal(s, 0.0)
    return s


def random_groups(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    names = list(GROUP_SHARE)
    return [names[i] for i in rng.choice(len(names), n, p=list(GROUP_SHARE.values()))]


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


# --- sections -------------------------------------------------------------------------------------


def bench_optimality(sizes: Sequence[int], out: Print) -> list[dict[str, Any]]:
    import networkx as nx

    rows: list[dict[str, Any]] = []
    for kind, make in (("uniform", uniform_scores), ("embedding", embedding_scores)):
        for n in sizes:
            scores = make(n, seed=n)
            groups, ours = _timed(pair_up, scores)
            graph = nx.Graph()
            iu = np.triu_indices(n, 1)
            graph.add_weighted_edges_from(
                zip(iu[0].tolist(), iu[1].tolist(), scores[iu].tolist(), strict=True)
            )
            exact, exact_time = _timed(partial(nx.max_weight_matching, maxcardinality=True), graph)
            optimum = float(sum(scores[a, b] for a, b in exact))
            row = {
                "instance": kind,
                "n": n,
                "pair_up": total(scores, groups) / optimum,
                "greedy": total(scores, greedy_pairs(scores)) / optimum,
                "random": total(scores, random_pairs(n, seed=n)) / optimum,
                "pair_up_s": ours,
                "networkx_s": exact_time,
                "speedup": exact_time / max(ours, 1e-9),
            }
            rows.append(row)
    out("\nPairs: share of the exact optimum (networkx max_weight_matching), and time")
    out(
        table(
            [
                (
                    r["instance"],
                    r["n"],
                    f"{100 * r['pair_up']:.2f} %",
                    f"{100 * r['greedy']:.2f} %",
                    f"{100 * r['random']:.2f} %",
                    f"{r['pair_up_s'] * 1000:.1f} ms",
                    f"{r['networkx_s']:.2f} s",
                    f"{r['speedup']:,.0f}×",
                )
                for r in rows
            ],
            ("instance", "n", "pair_up", "greedy", "random", "pair_up time", "networkx", "faster"),
        )
    )
    return rows


def _club_checks(clubs: list[list[int]], groups: Sequence[str], n: int) -> str:
    flat = sorted(p for club in clubs for p in club)
    sizes = all(3 <= len(c) <= 5 for c in clubs)
    mixed = all({"regionaal", "rijk"} <= {groups[p] for p in c} for c in clubs)
    needed = mix_required(groups, len(clubs))
    ok = flat == list(range(n)) and sizes and (mixed or not needed)
    return "ok" if ok else "VIOLATED"


def bench_clubs(n: int, seeds: Sequence[int], out: Print) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for kind, make in (("uniform", uniform_scores), ("embedding", embedding_scores)):
        for seed in seeds:
            scores = make(n, seed=seed)
            groups = random_groups(n, seed)
            ours, elapsed = _timed(form_clubs, scores, groups)
            greedy = greedy_clubs(scores, groups)
            rand = random_clubs(groups, seed=seed)
            value = clubs_total(scores, ours)
            rows.append(
                {
                    "instance": kind,
                    "seed": seed,
                    "form_clubs": value,
                    "vs_greedy": value / clubs_total(scores, greedy),
                    "vs_random": value / clubs_total(scores, rand),
                    "seconds": elapsed,
                    "constraints": " / ".join(
                        _club_checks(c, groups, n) for c in (ours, greedy, rand)
                    ),
                }
            )
    out(f"\nClubs at n = {n} (sizes 3–5, regio–rijk mix): total affinity, ours against baselines")
    out(
        table(
            [
                (
                    r["instance"],
                    r["seed"],
                    r["form_clubs"],
                    f"{r['vs_greedy']:.3f}×",
                    f"{r['vs_random']:.3f}×",
                    f"{r['seconds']:.2f} s",
                    r["constraints"],
                )
                for r in rows
            ],
            (
                "instance",
                "seed",
                "form_clubs total",
                "vs greedy",
                "vs random",
                "time",
                "constraints ours/greedy/random",
            ),
        )
    )
    return rows


def greedy_clubs_sparse(
    graph: sp.csr_matrix, *, min_size: int = 3, max_size: int = 5
) -> list[list[int]]:
    """Baseline at scale: merge along the heaviest edges while clubs stay ≤ max_size; people
    left in too-small clubs are grouped in order. Ignores the mix."""
    n = graph.shape[0]
    coo = sp.triu(graph, 1).tocoo()
    order = np.argsort(-coo.data, kind="stable")
    parent = list(range(n))
    size = [1] * n

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(coo.row[order].tolist(), coo.col[order].tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb and size[ra] + size[rb] <= max_size:
            parent[rb] = ra
            size[ra] += size[rb]
    members: dict[int, list[int]] = {}
    for person in range(n):
        members.setdefault(root(person), []).append(person)
    clubs = [c for c in members.values() if len(c) >= min_size]
    rest = [p for c in members.values() if len(c) < min_size for p in c]
    for start in range(0, len(rest), 4):
        clubs.append(rest[start : start + 4])
    if clubs and len(clubs[-1]) < min_size and len(clubs) > 1:
        clubs[-2].extend(clubs.pop())
    return clubs


def _scale_child(n: int, queue: Any) -> None:
    from matching.scale import clubs_upper_bound, knn_graph, pairing_upper_bound

    vectors, make = _timed(lambda: clustered_vectors(n, seed=7))
    graph, knn = _timed(lambda: knn_graph(vectors))
    groups = random_groups(n, 7)
    pairs, pairing = _timed(lambda: pair_up(graph))
    clubs, clubbing = _timed(lambda: form_clubs(graph, groups))
    greedy_p, greedy_p_time = _timed(lambda: greedy_pairs(graph))
    greedy_c, greedy_c_time = _timed(lambda: greedy_clubs_sparse(graph))
    queue.put(
        {
            "n": n,
            "edges": int(graph.nnz // 2),
            "generate_s": make,
            "knn_s": knn,
            "pairs_s": pairing,
            "clubs_s": clubbing,
            "pairs_total": total(graph, pairs),
            "pairs_greedy": total(graph, greedy_p),
            "pairs_greedy_s": greedy_p_time,
            "pairs_bound": pairing_upper_bound(graph),
            "clubs_total": clubs_total(graph, clubs),
            "clubs_greedy": clubs_total(graph, greedy_c),
            "clubs_greedy_s": greedy_c_time,
            "clubs_bound": clubs_upper_bound(graph, 5),
            "clubs_check": _club_checks(clubs, groups, n),
            "pairs_check": "ok"
            if sorted(p for g in pairs for p in g) == list(range(n))
            else "VIOLATED",
        }
    )


def bench_scale(n: int, out: Print) -> dict[str, Any]:
    """Run in a fresh process so its peak memory is measured alone."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_scale_child, args=(n, queue))
    start = time.perf_counter()
    child.start()
    result: dict[str, Any] = queue.get()
    child.join()
    result["wall_s"] = time.perf_counter() - start
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    pairs_s = result["knn_s"] + result["pairs_s"]
    clubs_s = result["knn_s"] + result["clubs_s"]
    out(
        f"\nScale: {n:,} synthetic clustered profiles (512-d), kNN graph (hnswlib, k = 16) "
        f"with {result['edges']:,} edges; peak memory {result['peak_rss_gib']:.2f} GiB"
    )
    out(
        table(
            [
                (
                    "pairs",
                    f"{result['knn_s']:.1f} s",
                    f"{result['pairs_s']:.1f} s",
                    f"{pairs_s:.1f} s",
                    result["pairs_total"],
                    f"{result['pairs_total'] / result['pairs_greedy']:.3f}×",
                    f"{100 * result['pairs_total'] / result['pairs_bound']:.1f} %",
                    result["pairs_check"],
                ),
                (
                    "clubs",
                    f"{result['knn_s']:.1f} s",
                    f"{result['clubs_s']:.1f} s",
                    f"{clubs_s:.1f} s",
                    result["clubs_total"],
                    f"{result['clubs_total'] / result['clubs_greedy']:.3f}×",
                    f"{100 * result['clubs_total'] / result['clubs_bound']:.1f} %",
                    result["clubs_check"],
                ),
            ],
            (
                "result",
                "kNN graph",
                "solve",
                "vectors → result",
                "total affinity",
                "vs greedy",
                "of upper bound",
                "constraints",
            ),
        )
    )
    return result


def _sentences() -> list[str]:
    data = json.loads(LABELLED.read_text(encoding="utf-8"))
    texts = [p["a"]["seeks"] for p in data["pairs"]] + [p["b"]["offers"] for p in data["pairs"]]
    texts += [p["a"]["works_on"] for p in data["pairs"]] + [
        p["b"]["works_on"] for p in data["pairs"]
    ]
    return texts


def _one_by_one(embedder: Any, texts: Sequence[str]) -> None:
    for text in texts:
        embedder.encode([text])


def bench_embedders(specs: Sequence[str], out: Print) -> list[dict[str, Any]]:
    texts = _sentences()
    rows: list[dict[str, Any]] = []
    for spec in specs:
        try:
            embedder, load = _timed(load_embedder, spec)
        except EmbedderUnavailable as error:
            rows.append({"embedder": spec, "error": str(error)})
            continue
        embedder.encode(texts[:8])  # warm up
        _, batch = _timed(embedder.encode, texts)
        _, single = _timed(_one_by_one, embedder, texts[:20])
        rows.append(
            {
                "embedder": embedder.name,
                "dimensions": embedder.dimensions,
                "load_s": load,
                "batch_per_s": len(texts) / batch,
                "one_profile_ms": single / 20 * 3 * 1000,
            }
        )
    out(f"\nEmbedding speed ({len(texts)} profile texts, batched; one profile = 3 texts)")
    out(
        table(
            [
                (
                    r["embedder"],
                    r.get("dimensions", "-"),
                    f"{r['load_s']:.2f} s" if "load_s" in r else "-",
                    f"{r['batch_per_s']:,.0f}" if "batch_per_s" in r else r.get("error", ""),
                    f"{r['one_profile_ms']:.0f} ms" if "one_profile_ms" in r else "-",
                )
                for r in rows
            ],
            ("embedder", "dims", "load", "sentences/s", "one profile"),
        )
    )
    return rows


#: The evaluation sets of ``quality``: the one the default was developed on, and the held-out one
#: written later by two other authors and registered before it was measured
#: (docs/heldout-preregistration.md).
QUALITY_SETS: tuple[tuple[str, Path], ...] = (
    ("labelled set (development)", LABELLED),
    ("held-out set", HELDOUT),
)
LANGUAGES = ("nl", "en", "mixed", "all")


def _seek_offer(vectors: Callable[[list[str]], Any], pairs: Sequence[dict[str, Any]]) -> Any:
    seeks = vectors([p["a"]["seeks"] for p in pairs])
    offers = vectors([p["b"]["offers"] for p in pairs])
    return (seeks * offers).sum(axis=1)


def auc_difference(
    labels: Sequence[bool],
    first: NDArray[Any],
    second: NDArray[Any],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """ROC AUC of ``first`` minus that of ``second`` on the same pairs, with a 95 % paired
    bootstrap interval (pairs resampled with replacement; draws with one class only skipped)."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels, dtype=bool)
    a, b = np.asarray(first), np.asarray(second)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        pick = rng.integers(0, len(y), len(y))
        if y[pick].all() or not y[pick].any():
            continue
        draws.append(roc_auc_score(y[pick], a[pick]) - roc_auc_score(y[pick], b[pick]))
    low, high = np.percentile(draws, [2.5, 97.5])
    return float(roc_auc_score(y, a) - roc_auc_score(y, b)), float(low), float(high)


def lookup(embedder: Any, sets: Sequence[dict[str, Any]]) -> Callable[[list[str]], Any]:
    """Every seeks and offers text of the evaluation sets encoded once, in the view the matcher
    compares people in (``for_matching``); returns texts → vectors."""
    texts = sorted(
        {p["a"]["seeks"] for d in sets for p in d["pairs"]}
        | {p["b"]["offers"] for d in sets for p in d["pairs"]}
        | {q["seeks"] for d in sets for q in d["queries"]}
        | {c["offers"] for d in sets for q in d["queries"] for c in q["candidates"]}
    )
    index = {text: i for i, text in enumerate(texts)}
    encoded = for_matching(embedder).encode(texts)

    def vectors(batch: list[str]) -> Any:
        return encoded[[index[text] for text in batch]]

    return vectors


def quality_of(
    vectors: Callable[[list[str]], Any], data: dict[str, Any]
) -> tuple[dict[str, float], dict[str, Any]]:
    """AUC and p@1 per language kind, and the seek↔offer scores of the pairs per kind."""
    from sklearn.metrics import roc_auc_score

    row: dict[str, float] = {}
    scores: dict[str, Any] = {}
    for language in LANGUAGES:
        pairs = [p for p in data["pairs"] if language in ("all", p["language"])]
        scores[language] = _seek_offer(vectors, pairs)
        labels = [p["label"] == "good" for p in pairs]
        row[f"auc_{language}"] = float(roc_auc_score(labels, scores[language]))
        queries = [q for q in data["queries"] if language in ("all", q["language"])]
        hits = 0
        for query in queries:
            found = vectors([query["seeks"]] + [c["offers"] for c in query["candidates"]])
            best = int(np.argmax(found[1:] @ found[0]))
            hits += bool(query["candidates"][best]["good"])
        row[f"p1_{language}"] = hits / len(queries) if queries else float("nan")
    return row, scores


def bench_quality(specs: Sequence[str], out: Print) -> list[dict[str, Any]]:
    """ROC AUC of seek↔offer cosine on the labelled pairs; precision@1 on the queries; for the
    default against ``tfidf``, the AUC difference with a 95 % paired bootstrap interval."""
    sets = [(title, json.loads(path.read_text(encoding="utf-8"))) for title, path in QUALITY_SETS]
    rows: list[dict[str, Any]] = []
    pair_scores: dict[tuple[str, str], dict[str, Any]] = {}
    for spec in specs:
        try:
            embedder = load_embedder(spec)
        except EmbedderUnavailable as error:
            rows.append({"embedder": spec, "error": str(error)})
            continue
        vectors = lookup(embedder, [data for _, data in sets])
        for title, data in sets:
            row, scores = quality_of(vectors, data)
            name = for_matching(embedder).name  # the view the pairs were scored in
            rows.append({"set": title, "spec": spec, "embedder": name, **row})
            pair_scores[(title, spec)] = scores
    for title, data in sets:
        counts = {
            language: sum(1 for p in data["pairs"] if p["language"] == language)
            for language in ("nl", "en", "mixed")
        }
        out(
            f"\nMatch quality on the {title}: {len(data['pairs'])} pairs ({counts}), "
            f"{len(data['queries'])} queries of 4 candidates (chance p@1 = 0.25)"
        )
        found = [r for r in rows if r.get("set") == title]
        out(
            table(
                [
                    (
                        r["embedder"],
                        *(f"{r[f'auc_{lang}']:.3f}" for lang in LANGUAGES),
                        *(f"{r[f'p1_{lang}']:.2f}" for lang in LANGUAGES),
                    )
                    for r in found
                ],
                (
                    "embedder",
                    *(f"AUC {lang}" for lang in LANGUAGES),
                    *(f"p@1 {lang}" for lang in LANGUAGES),
                ),
            )
        )
        if (
            "default" in specs
            and "tfidf" in specs
            and (title, "default") in pair_scores
            and (title, "tfidf") in pair_scores
        ):
            for language in ("mixed", "all"):
                labels = [
                    p["label"] == "good"
                    for p in data["pairs"]
                    if language in ("all", p["language"])
                ]
                diff, low, high = auc_difference(
                    labels,
                    pair_scores[(title, "default")][language],
                    pair_scores[(title, "tfidf")][language],
                )
                out(
                    f"default minus tfidf, AUC {language}: {diff:+.3f} "
                    f"(95 % paired bootstrap interval {low:+.3f} to {high:+.3f})"
                )
                for r in found:
                    if r["spec"] == "default":
                        r[f"auc_{language}_minus_tfidf"] = [diff, low, high]
    for r in rows:
        if "error" in r:
            out(f"{r['embedder']}: not measured ({r['error']})")
    return rows


def run(
    sections: Sequence[str] = SECTIONS,
    *,
    quick: bool = False,
    scale_n: int | None = None,
    out: Print = print,
) -> Report:
    """Run the chosen sections; ``quick`` shrinks every instance for a smoke run."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown sections: {', '.join(sorted(unknown))}")
    report = Report(machine=machine())
    m = report.machine
    out(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}")
    if "optimality" in sections:
        report.results["optimality"] = bench_optimality(
            (60, 120) if quick else (100, 300, 500), out
        )
    if "clubs" in sections:
        report.results["clubs"] = bench_clubs(
            90 if quick else 300, (1,) if quick else (1, 2, 3), out
        )
    if "scale" in sections:
        report.results["scale"] = bench_scale(scale_n or (5_000 if quick else 100_000), out)
    if "embedders" in sections:
        report.results["embedders"] = bench_embedders(EMBEDDERS, out)
    if "quality" in sections:
        # a smoke run checks the default against the lexical baseline only (E5 is the slow part)
        specs = ("default", "tfidf") if quick else EMBEDDERS
        report.results["quality"] = bench_quality(specs, out)
    if "simulation" in sections:
        from matching import bench_simulation

        report.results["simulation"] = bench_simulation.run(quick=quick, out=out, table=table)
    return report
