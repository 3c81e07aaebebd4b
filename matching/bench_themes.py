"""``maatjes bench insights``: how well themes find planted lessons, how fast, in what memory.

A synthetic community of N profiles: each person's ongemak is written around one of eight planted
themes (four words of its own vocabulary, Dutch or English, among words every theme shares), and
what they work on around the same theme. The texts are embedded (by default with the ``tfidf``
embedder, so 10,000 profiles take seconds, not minutes) and the themes found; the adjusted Rand
index compares the theme of each ongemak with the planted one (1: every planted theme recovered
whole, in a cluster of its own; 0: no better than chance). Texts left out of every theme (in a
cluster of fewer than three people) count as one more cluster.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from matching.embedders import Embedder
from matching.themes import find_themes

PLANTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "inkoop": (
        ("inkoopregels", "aanbesteding", "gunning", "bestek", "marktconsultatie", "contract"),
        ("procurement", "tender", "contract", "bidding", "purchasing", "award"),
    ),
    "bodem": (
        ("grondverzet", "bodemkwaliteit", "bagger", "klei", "grondbank", "vervuiling"),
        ("soil", "dredging", "clay", "contamination", "excavation", "earthworks"),
    ),
    "textiel": (
        ("textiel", "kleding", "inzameling", "sortering", "vezels", "kringloop"),
        ("textile", "clothing", "collection", "sorting", "fibres", "garments"),
    ),
    "biomassa": (
        ("bermgras", "maaisel", "snoeihout", "biomassa", "compost", "vergisting"),
        ("biomass", "grass", "pruning", "compost", "digestion", "crops"),
    ),
    "kunststof": (
        ("kunststof", "recyclaat", "verpakking", "folie", "granulaat", "plastic"),
        ("plastics", "recyclate", "packaging", "film", "granulate", "polymer"),
    ),
    "bouw": (
        ("betonliggers", "sloop", "materialenpaspoort", "losmaakbaar", "hergebruik", "viaduct"),
        ("concrete", "demolition", "passport", "demountable", "reuse", "bridge"),
    ),
    "geld": (
        ("subsidie", "begroting", "financiering", "businesscase", "investering", "restwaarde"),
        ("subsidy", "budget", "funding", "investment", "finance", "value"),
    ),
    "regels": (
        ("vergunning", "afvalstatus", "wetgeving", "handhaving", "omgevingsdienst", "regelgeving"),
        ("permit", "waste", "legislation", "enforcement", "regulator", "licence"),
    ),
}
_SHARED_NL = ("gemeente", "provincie", "project", "pilot", "regio", "ketenpartners", "opgave")
_SHARED_EN = ("municipality", "province", "project", "pilot", "region", "partners", "programme")
_FRAMES_NL = ("Vast op {a}, {b}, {c} en {d} ({s}).", "{a} en {b}: {c}, {d} in het {s}.")
_FRAMES_EN = ("Stuck on {a}, {b}, {c} and {d} ({s}).", "{a} and {b}: {c}, {d} in the {s}.")


def community(size: int, *, seed: int = 7) -> tuple[list[str], list[str], list[int]]:
    """``size`` ongemak texts and ``size`` works-on texts, and each person's planted theme."""
    rng = random.Random(seed)
    names = sorted(PLANTED)
    ongemak, works_on, planted = [], [], []
    for person in range(size):
        theme = person % len(names)
        dutch, english = PLANTED[names[theme]]
        nl = rng.random() < 0.6
        vocabulary, frames, shared = (
            (dutch, _FRAMES_NL, _SHARED_NL) if nl else (english, _FRAMES_EN, _SHARED_EN)
        )
        a, b, c, d = rng.sample(vocabulary, 4)
        ongemak.append(rng.choice(frames).format(a=a, b=b, c=c, d=d, s=rng.choice(shared)))
        e, f, g = rng.sample(vocabulary, 3)
        works_on.append(f"{e}, {f} en {g} in de {rng.choice(shared)}")
        planted.append(theme)
    return ongemak, works_on, planted


@dataclass(frozen=True)
class Measured:
    profiles: int
    texts: int
    planted: int
    found: int
    ari: float
    embed_seconds: float
    themes_seconds: float
    peak_mib: float


def measure(size: int, embedder: Embedder) -> Measured:
    from sklearn.metrics import adjusted_rand_score

    ongemak, works_on, planted = community(size)
    texts = ongemak + works_on
    owners = list(range(size)) * 2
    kinds = ["ongemak"] * size + ["works_on"] * size
    start = time.perf_counter()
    vectors = embedder.encode(texts)
    embedded = time.perf_counter()
    tracemalloc.start()
    found = find_themes(np.asarray(vectors), texts, owners, [True] * len(texts), kinds=kinds)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    done = time.perf_counter()
    assigned = [-1] * len(texts)
    for number, theme in enumerate(found):
        for i in theme.members:
            assigned[i] = number
    ari = float(adjusted_rand_score(planted, assigned[:size]))
    return Measured(
        profiles=size,
        texts=len(texts),
        planted=len(PLANTED),
        found=len(found),
        ari=round(ari, 3),
        embed_seconds=round(embedded - start, 2),
        themes_seconds=round(done - embedded, 2),
        peak_mib=round(peak / 2**20, 1),
    )


def run(
    sizes: Sequence[int], embedder: Embedder, *, out: Callable[[str], object] = print
) -> list[Measured]:
    results = []
    out(f"embedder: {embedder.name}")
    out("| profiles | texts | planted | themes found | ARI | embed | themes | peak memory |")
    out("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        m = measure(size, embedder)
        results.append(m)
        out(
            f"| {m.profiles:,} | {m.texts:,} | {m.planted} | {m.found} | {m.ari:.3f} "
            f"| {m.embed_seconds:.2f} s | {m.themes_seconds:.2f} s | {m.peak_mib:.1f} MiB |"
        )
    return results
