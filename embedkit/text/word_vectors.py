"""Word vectors with gensim's ``KeyedVectors`` interface: lookup, neighbours, evaluation.

    wv = WordVectors(words, vectors)          # vectors: (V, d), row i belongs to words[i]
    wv["king"]                                # (d,) float32
    wv.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    wv.evaluate_word_pairs("wordsim353")      # Spearman rho vs human judgements
    wv.evaluate_analogies()                   # accuracy on the Google analogy set

Conventions shared with gensim, so that results can be compared number for number:

* similarities are cosines; ``most_similar`` averages the *unit-normalised* vectors of
  the query words (negative ones with weight -1), normalises that mean and ranks every
  word by cosine with it, leaving the query words out. For an analogy
  ``a : b :: c : ?`` this is **3CosAdd**: ``argmax_d cos(d, b - a + c)`` (with unit vectors);
* words are expected in descending frequency order, so that ``restrict_vocab=n`` means
  "only the n most frequent words" (``train_word2vec`` and ``Vocabulary`` sort that way).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._data_files import WORD_PAIR_SETS, load_analogies, load_word_pairs
from .._saved_files import SavedFileError, load_npz, save_npz
from .._validation import as_matrix, as_vector, check_choice, check_counts, check_int, check_number
from ..similarity import _normalize_rows

__all__ = ["WordVectors", "EvaluationResult"]

# gensim's epsilon in most_similar_cosmul (Levy & Goldberg used 0.001; see most_similar_cosmul).
COSMUL_EPSILON = 1e-6


class EvaluationResult(float):
    """A score (a ``float``: compare it, format it, do arithmetic) that also carries how it
    was obtained, because a score without its coverage is misleading.

    Attributes:
        n_total: items in the evaluation set (word pairs or analogy questions).
        n_used: items scored; the others had an out-of-vocabulary word and were skipped.
        n_oov: ``n_total - n_used``.
        coverage: ``n_used / n_total``.
        details: extra numbers (e.g. Pearson r, per-section accuracy).
    """

    n_total: int
    n_used: int
    details: dict

    def __new__(cls, value: float, *, n_total: int, n_used: int, details: dict | None = None):
        obj = super().__new__(cls, value)
        obj.n_total, obj.n_used, obj.details = int(n_total), int(n_used), dict(details or {})
        return obj

    @property
    def n_oov(self) -> int:
        return self.n_total - self.n_used

    @property
    def coverage(self) -> float:
        return self.n_used / self.n_total if self.n_total else 0.0

    def __repr__(self) -> str:
        return f"{float(self):.4f} (on {self.n_used}/{self.n_total}; {self.n_oov} out of vocabulary)"


class WordVectors:
    """A fixed set of word vectors: ``words[i]`` has the vector ``vectors[i]``.

    Args:
        words: ``V`` distinct strings (most frequent first, by convention).
        vectors: ``(V, d)`` array-like, converted once to C-contiguous float32.
        counts: optional ``(V,)`` corpus counts, kept for reference and for gensim.
    """

    def __init__(self, words: Sequence[str], vectors, counts=None):
        if isinstance(words, str) or not hasattr(words, "__len__"):
            raise TypeError(f"words must be a list of str, got {type(words).__name__}")
        words = list(words)
        vectors = as_matrix(vectors, "vectors")
        if len(words) != vectors.shape[0]:
            raise ValueError(f"words and vectors must have the same length: got {len(words)} words "
                             f"and vectors of shape {vectors.shape}")
        if not all(isinstance(w, str) for w in words):
            raise TypeError("words must all be str")
        self.index = {w: i for i, w in enumerate(words)}
        if len(self.index) != len(words):
            raise ValueError("words must be unique")
        self.words = words
        self.vectors = vectors
        self.counts = None if counts is None else check_counts(counts, "counts", n=len(words))
        self.training_log = None     # filled by train_word2vec / train_glove
        self._unit = None

    # -- gensim-like basics ------------------------------------------------------------
    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    @property
    def index_to_key(self) -> list[str]:
        """gensim's name for ``words``."""
        return self.words

    @property
    def key_to_index(self) -> dict[str, int]:
        """gensim's name for ``index``."""
        return self.index

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def __repr__(self) -> str:
        return f"WordVectors({len(self):,} words, d={self.vector_size})"

    def get_index(self, word: str) -> int:
        """Row of ``word``; ``KeyError`` naming the word if it is unknown."""
        try:
            return self.index[word]
        except (KeyError, TypeError):
            raise KeyError(f"word {word!r} is not in the vocabulary ({len(self):,} words)") from None

    def __getitem__(self, word):
        """``wv["king"] -> (d,)``; a list of words gives ``(n, d)``. Returns copies."""
        if isinstance(word, (list, tuple)):
            return self.vectors[[self.get_index(w) for w in word]]
        return self.vectors[self.get_index(word)].copy()

    @property
    def unit_vectors(self) -> np.ndarray:
        """``(V, d)`` float32 rows scaled to unit length (zero rows stay zero); cached."""
        if self._unit is None:
            self._unit = _normalize_rows(self.vectors)
        return self._unit

    # -- similarity --------------------------------------------------------------------
    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two words."""
        u = self.unit_vectors
        return float(np.dot(u[self.get_index(w1)], u[self.get_index(w2)]))

    def _query(self, positive, negative) -> tuple[np.ndarray, list[int]]:
        """Unit mean of +/- unit word vectors (gensim's get_mean_vector) and their rows."""
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word in positive or negative")
        rows = [self.get_index(w) for w in positive + negative]
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        mean = weights @ self.unit_vectors[rows] / len(rows)
        norm = np.linalg.norm(mean)
        return (mean / norm if norm > 0 else mean), rows

    def most_similar(self, positive=None, negative=None, topn: int = 10,
                     restrict_vocab: int | None = None) -> list[tuple[str, float]]:
        """The ``topn`` words closest (by cosine) to the mean of ``positive`` minus ``negative``.

        The query words themselves are never returned (that is the "3CosAdd" rule: without
        it, king - man + woman would answer "king"). ``restrict_vocab=n`` searches only
        the first ``n`` words.

        Returns:
            ``[(word, cosine), ...]``, best first.
        """
        query, rows = self._query(positive, negative)
        return self.similar_by_vector(query, topn=topn, restrict_vocab=restrict_vocab, exclude=rows)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int = 10,
                            restrict_vocab: int | None = None,
                            epsilon: float = COSMUL_EPSILON) -> list[tuple[str, float]]:
        """The ``topn`` words ranked by **3CosMul** (Levy & Goldberg, 2014), gensim's
        ``most_similar_cosmul``:

        ``score(x) = prod_{p in positive} s(x, p) / (prod_{n in negative} s(x, n) + epsilon)``

        with ``s = (1 + cos) / 2``, each cosine shifted into ``[0, 1]`` so that the
        product and the ratio behave (a negative cosine would flip signs). For an analogy
        ``a : b :: c : ?`` call it with ``positive=[b, c], negative=[a]``. Multiplying
        instead of adding means one very large similarity cannot dominate the others.
        The query words are never returned. ``epsilon`` only guards against division by
        zero: gensim uses 1e-6 (the default here, so results equal gensim's), the paper
        0.001; with the shift to ``[0, 1]`` the two rank almost always identically.

        Returns:
            ``[(word, score), ...]``, best first (scores are not cosines).
        """
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive:
            raise ValueError("most_similar_cosmul needs at least one word in positive "
                             f"(got positive={positive!r}, negative={negative!r})")
        topn = check_int(topn, "topn", minimum=1)
        epsilon = check_number(epsilon, "epsilon", minimum=0.0, strict_minimum=True)
        n = self._restrict(restrict_vocab)
        pos = [self.get_index(w) for w in positive]
        neg = [self.get_index(w) for w in negative]
        scores = _cosmul_scores(self.unit_vectors[:n], self.unit_vectors[pos], self.unit_vectors[neg], epsilon)
        exclude = [i for i in set(pos + neg) if i < n]
        scores[exclude] = -np.inf
        k = min(topn, n - len(exclude))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.words[i], float(scores[i])) for i in top]

    def similar_by_vector(self, vector, topn: int = 10, restrict_vocab: int | None = None,
                          exclude: Sequence[int] = ()) -> list[tuple[str, float]]:
        """The ``topn`` words with the highest cosine to ``vector: (d,)``."""
        vector = as_vector(vector, "vector", d=self.vector_size)
        n = self._restrict(restrict_vocab)
        topn = check_int(topn, "topn", minimum=1)
        norm = np.linalg.norm(vector)
        scores = self.unit_vectors[:n] @ (vector / norm if norm > 0 else vector)
        exclude = [i for i in exclude if i < n]
        scores[exclude] = -np.inf
        k = min(topn, n - len(exclude))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]   # by score, ties by frequency rank
        return [(self.words[i], float(scores[i])) for i in top]

    def _restrict(self, restrict_vocab) -> int:
        if restrict_vocab is None:
            return len(self)
        return min(check_int(restrict_vocab, "restrict_vocab", minimum=1), len(self))

    # -- evaluation --------------------------------------------------------------------
    def evaluate_word_pairs(self, pairs="wordsim353", *, restrict_vocab: int = 300_000) -> EvaluationResult:
        """Spearman rank correlation between cosine similarity and human scores.

        Args:
            pairs: ``"wordsim353"``, ``"simlex999"`` or a list of ``(w1, w2, score)``.
            restrict_vocab: only the first ``n`` words count as known (gensim's default).

        Returns:
            Spearman's rho as an :class:`EvaluationResult`; pairs with an unknown word are
            skipped (as gensim does) and counted in ``.n_oov``; ``.details["pearson"]``
            holds Pearson's r.
        """
        from scipy.stats import pearsonr, spearmanr


        if isinstance(pairs, str):
            check_choice(pairs, "pairs", WORD_PAIR_SETS)
            pairs = load_word_pairs(pairs)
        n = self._restrict(restrict_vocab)
        known = [(a, b, s) for a, b, s in pairs
                 if self.index.get(a, n) < n and self.index.get(b, n) < n]
        if len(known) < 3:
            raise ValueError(f"only {len(known)} of {len(pairs)} pairs are in the vocabulary; "
                             "a correlation needs at least 3")
        u = self.unit_vectors
        ia = np.array([self.index[a] for a, _, _ in known])
        ib = np.array([self.index[b] for _, b, _ in known])
        model = np.einsum("ij,ij->i", u[ia], u[ib]).astype(np.float64)
        human = np.array([s for _, _, s in known])
        rho = spearmanr(human, model).statistic
        return EvaluationResult(rho, n_total=len(pairs), n_used=len(known),
                                details={"pearson": float(pearsonr(human, model).statistic)})

    def evaluate_analogies(self, questions=None, *, restrict_vocab: int = 300_000,
                           method: str = "3cosadd", batch_size: int = 256) -> EvaluationResult:
        """Accuracy on analogy questions "a : b :: c : d" (default: the Google set).

        For each question, the answer is the word ``x`` (never a, b or c) maximising, among
        the first ``restrict_vocab`` words, ``method="3cosadd"``: ``cos(x, b - a + c)`` with
        unit vectors (what ``most_similar(positive=[b, c], negative=[a])`` ranks by), or
        ``method="3cosmul"``: ``s(x, b) s(x, c) / (s(x, a) + 1e-6)`` with ``s = (1 + cos) / 2``
        (what ``most_similar_cosmul`` ranks by); it is correct when ``x == d``.

        Questions with a word outside the first ``restrict_vocab`` words are **skipped**,
        as in gensim and word2vec's compute-accuracy: the score is correct / scored.
        ``.coverage`` says how many were scored, and ``.details["accuracy_all"]`` counts
        skipped questions as wrong; ``.details["sections"]`` has per-section accuracy.
        """

        check_choice(method, "method", _ANALOGY_METHODS)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        questions = load_analogies() if questions is None else _check_questions(questions)
        if questions and len(questions[0]) == 4:    # plain (a, b, c, d) tuples
            questions = [("all", *q) for q in questions]
        n = self._restrict(restrict_vocab)
        ok = [q for q in questions if all(self.index.get(w, n) < n for w in q[1:])]
        if not ok:   # an accuracy of 0.0 would read as "all wrong"; nothing was scored
            raise ValueError(f"none of the {len(questions)} questions could be scored: each has a "
                             f"word outside the first restrict_vocab={n} words; raise "
                             "restrict_vocab or check that the questions use this vocabulary")
        rows = np.array([[self.index[w] for w in q[1:]] for q in ok], dtype=np.int64).reshape(-1, 4)
        unit = self.unit_vectors[:n]
        correct = np.zeros(len(rows), dtype=bool)
        for start in range(0, len(rows), batch_size):
            block = rows[start:start + batch_size]
            scores = _ANALOGY_METHODS[method](unit, block[:, 0], block[:, 1], block[:, 2])
            np.put_along_axis(scores, block[:, :3], -np.inf, axis=1)   # never a, b or c
            correct[start:start + batch_size] = scores.argmax(axis=1) == block[:, 3]
        sections: dict[str, list[int]] = {}
        for q, ok_q in zip(ok, correct):
            sections.setdefault(q[0], [0, 0])
            sections[q[0]][0] += int(ok_q)
            sections[q[0]][1] += 1
        accuracy = float(correct.mean()) if len(correct) else 0.0
        details = {
            "accuracy_all": float(correct.sum()) / len(questions) if questions else 0.0,
            "sections": {s: c / t for s, (c, t) in sections.items()},
            "n_correct": int(correct.sum()),
        }
        return EvaluationResult(accuracy, n_total=len(questions), n_used=len(ok), details=details)

    # -- conversion and persistence ----------------------------------------------------
    def to_gensim(self):
        """A ``gensim.models.KeyedVectors`` with the same words, order and vectors."""
        from gensim.models import KeyedVectors

        kv = KeyedVectors(self.vector_size, dtype=np.float32)
        kv.add_vectors(self.words, self.vectors)
        if self.counts is not None:
            kv.allocate_vecattrs(attrs=["count"], types=[np.int64])
            kv.expandos["count"][:] = self.counts
        return kv

    @classmethod
    def from_gensim(cls, keyed_vectors) -> "WordVectors":
        """From a gensim ``KeyedVectors`` (or a model with ``.wv``); copies the vectors."""
        kv = getattr(keyed_vectors, "wv", keyed_vectors)
        if not hasattr(kv, "index_to_key") or not hasattr(kv, "vectors"):
            raise TypeError(f"keyed_vectors must be a gensim KeyedVectors, got {type(keyed_vectors).__name__}")
        counts = kv.expandos.get("count") if hasattr(kv, "expandos") else None
        if counts is not None and (len(counts) != len(kv.index_to_key) or not np.all(counts > 0)):
            counts = None
        return cls(list(kv.index_to_key), np.array(kv.vectors, dtype=np.float32), counts=counts)

    def save(self, path) -> None:
        """Write to ``path`` (exactly that name): the words, the vectors, the counts if any.

        One self-checking ``.npz`` file, written atomically (see :mod:`embedkit._saved_files`).
        """
        params, arrays = self._get_state()
        save_npz(path, format="embedkit-word-vectors", cls=type(self).__name__, version=1,
                 params=params, arrays=arrays)

    @classmethod
    def load(cls, path) -> "WordVectors":
        """Read what :meth:`save` wrote; ``SavedFileError`` (a ``ValueError``) naming the file
        if it is missing parts, damaged, edited inconsistently or not a word-vectors file.

        ``WordVectors.load`` reads any word-vectors file (a subclass's file gives its
        composed vectors); a subclass's ``load`` insists on a file of that subclass.
        """
        header, arrays = load_npz(path, format="embedkit-word-vectors", what="embedkit word-vectors",
                                  saved_by="WordVectors.save")
        shown = repr(str(path))
        if header.get("version") != 1:
            raise SavedFileError(f"{shown} was written with word-vectors format version "
                                 f"{header.get('version')}, this embedkit reads version 1")
        if cls is not WordVectors and header.get("class") != cls.__name__:
            raise SavedFileError(f"{shown} holds {header.get('class')}, not {cls.__name__}; "
                                 f"load it with WordVectors.load(path)")
        try:
            params, words, vectors = header["params"], arrays["words"], arrays["vectors"]
            if words.dtype.kind != "U" or words.ndim != 1:
                raise ValueError(f"words must be a 1-D array of str, got dtype {words.dtype}")
            if vectors.shape != (params["n"], params["dim"]) or words.shape != (params["n"],):
                raise ValueError(f"{words.shape[0]} words and vectors of shape {vectors.shape} do "
                                 f"not match the header's n={params['n']}, dim={params['dim']}")
            if cls is WordVectors:
                return cls(words.tolist(), vectors, counts=arrays.get("counts"))
            return cls._from_state(params, arrays)
        except (KeyError, TypeError, ValueError) as err:
            raise SavedFileError(f"{shown} holds inconsistent word vectors ({err}); "
                                 "save them again") from None

    def _get_state(self) -> tuple[dict, dict]:
        """The header parameters and arrays :meth:`save` writes (subclasses add theirs)."""
        arrays = {"vectors": self.vectors, "words": np.array(self.words, dtype=str)}
        if self.counts is not None:
            arrays["counts"] = self.counts
        return {"n": len(self.words), "dim": self.vector_size}, arrays


def _check_questions(questions) -> list:
    """Analogy questions: a non-empty list of ``(a, b, c, d)`` or ``(section, a, b, c, d)``
    tuples of str, all of one form."""
    if isinstance(questions, (str, bytes)) or not hasattr(questions, "__iter__"):
        raise TypeError(f"questions must be a list of (a, b, c, d) tuples of str, got "
                        f"{type(questions).__name__}")
    questions = [tuple(q) if isinstance(q, (list, tuple)) else q for q in questions]
    if not questions:
        raise ValueError("questions must not be empty: pass (a, b, c, d) tuples, or None for "
                         "the Google analogy set")
    width = len(questions[0]) if isinstance(questions[0], tuple) else None
    for i, q in enumerate(questions):
        if not isinstance(q, tuple) or len(q) not in (4, 5) or len(q) != width \
                or not all(isinstance(w, str) for w in q):
            raise ValueError(f"questions must all be (a, b, c, d) or all (section, a, b, c, d) "
                             f"tuples of str; question {i} is {q!r}")
    return questions


def _three_cos_add(unit: np.ndarray, a, b, c) -> np.ndarray:
    """(nq, V) 3CosAdd scores: unit_x . normalize(u_b - u_a + u_c) (gensim's ranking)."""
    query = unit[b] - unit[a] + unit[c]
    query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    return query @ unit.T


def _cosmul_scores(unit: np.ndarray, pos: np.ndarray, neg: np.ndarray, epsilon: float) -> np.ndarray:
    """(V,) 3CosMul scores of every row of ``unit`` for unit query rows ``pos: (p, d)``,
    ``neg: (m, d)``: prod s(x, pos) / (prod s(x, neg) + epsilon), s = (1 + cos) / 2."""
    num = np.prod((1.0 + unit @ pos.T) / 2.0, axis=1)
    den = np.prod((1.0 + unit @ neg.T) / 2.0, axis=1)   # an empty product is 1
    return num / (den + epsilon)


def _three_cos_mul(unit: np.ndarray, a, b, c, epsilon: float = None) -> np.ndarray:
    """(nq, V) 3CosMul scores for "a : b :: c : ?": s(x, b) s(x, c) / (s(x, a) + eps)."""
    epsilon = COSMUL_EPSILON if epsilon is None else epsilon
    # in place on the (nq, V) blocks: no extra temporaries of that size
    num = unit[b] @ unit.T
    num += 1.0
    den = unit[c] @ unit.T
    den += 1.0
    num *= den                                   # (1 + cos_b)(1 + cos_c) = 4 s_b s_c
    np.matmul(unit[a], unit.T, out=den)
    den += 1.0 + 2.0 * epsilon
    den *= 2.0                                   # 4 (s_a + epsilon)
    num /= den
    return num


# Analogy scoring rules by name (evaluate_analogies(method=...)).
_ANALOGY_METHODS = {"3cosadd": _three_cos_add, "3cosmul": _three_cos_mul}
