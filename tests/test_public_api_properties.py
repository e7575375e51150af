"""Property-based tests (Hypothesis) over the public API of every part.

* **Valid input**: generated data gives the reference's answer (numpy, scipy, faiss).
* **Invalid input**: generated bad arguments (None, strings, wrong shapes and widths,
  NaN/inf, empty batches, out-of-range ints, masks of the wrong kind, unknown devices)
  raise ValueError/TypeError/KeyError naming the argument; every case is counted by the
  ``bad_input`` fixture (tests/conftest.py prints the census at the end of the run).
* **Exercise checkers** never raise, whatever a learner passes.

All runs are derandomized (tests/conftest.py) and small: the whole file takes ~1 minute.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.spatial.distance
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import embedkit as ek

D = 6
FEW = settings(max_examples=25)
SOME = settings(max_examples=40)


# -- strategies ------------------------------------------------------------------------------
def finite_matrices(min_rows=1, max_rows=12, d=D):
    return hnp.arrays(np.float32, st.tuples(st.integers(min_rows, max_rows), st.just(d)),
                      elements=st.floats(-100, 100, width=32))


@st.composite
def with_non_finite(draw, shape):
    """A float32 array of ``shape`` with one NaN or infinity at a drawn position."""
    arr = draw(hnp.arrays(np.float32, shape, elements=st.floats(-10, 10, width=32)))
    where = tuple(draw(st.integers(0, s - 1)) for s in shape)
    arr[where] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return arr


def bad_matrices(d=D):
    """Anything but a finite (n, d) float matrix with n >= 1."""
    return st.one_of(
        st.none(), st.text(max_size=4), st.integers(-3, 3), st.booleans(),
        hnp.arrays(np.float32, st.integers(1, 5)),                          # 1-D
        hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))),
        hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 9).filter(lambda c: c != d))),
        with_non_finite((3, d)),
        st.just(np.zeros((0, d), np.float32)),
        st.just([[1.0] * d, [1.0] * (d + 1)]),                              # ragged
        st.just(np.ones((2, d), np.complex64)),
        st.just(np.array([["a"] * d])),
    )


bad_counts_k = st.one_of(st.integers(-5, 0), st.just(10_000), st.floats(0.5, 3.5),
                         st.none(), st.text(max_size=2), st.booleans())


# -- valid input: the reference's answer -----------------------------------------------------
@FEW
@given(finite_matrices(), finite_matrices(), st.sampled_from(["l2", "l1", "cosine", "ip"]))
def test_pairwise_matches_scipy(A, B, metric):
    got = ek.pairwise(A, B, metric=metric)
    A64, B64 = A.astype(np.float64), B.astype(np.float64)
    if metric in ("l2", "l1"):
        ref = scipy.spatial.distance.cdist(A64, B64, {"l2": "euclidean", "l1": "cityblock"}[metric])
        ok = np.isclose(got, ref, rtol=1e-3, atol=1e-3 * (1 + np.abs(ref).max()))
    elif metric == "ip":
        ref = A64 @ B64.T
        ok = np.isclose(got, ref, rtol=1e-3, atol=1e-3 * (1 + np.abs(ref).max()))
    else:
        nA, nB = np.linalg.norm(A64, axis=1), np.linalg.norm(B64, axis=1)
        keep = (nA[:, None] > 1e-3) & (nB[None, :] > 1e-3)   # a zero vector's cosine is a convention
        ref = 1 - scipy.spatial.distance.cdist(A64, B64, "cosine")
        ok = ~keep | np.isclose(got, ref, atol=1e-4)
    assert got.shape == (len(A), len(B)) and ok.all()


@FEW
@given(finite_matrices(min_rows=2, max_rows=40), finite_matrices(max_rows=5), st.integers(1, 40))
def test_flat_index_matches_faiss(X, Q, k):
    import faiss

    k = min(k, len(X))
    index = ek.FlatIndex(D)
    index.add(X)
    D_ours, I_ours = index.search(Q, k)
    ref = faiss.IndexFlatL2(D)
    ref.add(X)
    D_ref, _ = ref.search(Q, k)
    # ids may differ on ties; the k best distances may not
    assert np.allclose(D_ours, D_ref, rtol=1e-3, atol=1e-2 * (1 + np.abs(D_ref).max()))
    exact = ((Q[:, None, :].astype(np.float64) - X[None].astype(np.float64)) ** 2).sum(-1)
    got = np.take_along_axis(exact, I_ours, axis=1)
    assert np.allclose(got, np.sort(exact, axis=1)[:, :k], rtol=1e-3, atol=1e-2 * (1 + exact.max()))


@SOME
@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 5)), elements=st.integers(-1, 40),
                  unique=True),
       hnp.arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 4)), elements=st.integers(0, 40),
                  unique=True),
       st.integers(1, 8))
def test_recall_and_mrr_match_a_plain_loop(I, gt, k):
    nq = min(len(I), len(gt))
    I, gt = I[:nq], gt[:nq]
    k = min(k, I.shape[1], gt.shape[1])
    ref_recall = np.mean([len(set(I[q, :k]) & set(gt[q, :k])) / k for q in range(nq)])
    assert ek.recall_at_k(I, gt, k) == pytest.approx(ref_recall)
    ranks = [next((r for r, i in enumerate(I[q]) if i == gt[q, 0]), None) for q in range(nq)]
    ref_mrr = np.mean([0.0 if r is None else 1.0 / (r + 1) for r in ranks])
    assert ek.mrr(I, gt[:, :1]) == pytest.approx(ref_mrr)


@SOME
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.integers(1, 5), st.just(3)),
                  elements=st.floats(-10, 10, width=32)), st.data())
def test_mean_and_max_pool_match_numpy(x, data):
    mask = data.draw(hnp.arrays(np.bool_, x.shape[:2]))
    as_int = data.draw(st.booleans())          # an integer 0/1 mask means the same
    m = mask.astype(np.int64) if as_int else mask
    mean, mx = ek.mean_pool(x, m), ek.max_pool(x, m)
    for row in range(len(x)):
        tokens = x[row][mask[row]]
        ref_mean = tokens.mean(0) if len(tokens) else np.zeros(3)
        ref_max = tokens.max(0) if len(tokens) else np.zeros(3)
        assert np.allclose(mean[row], ref_mean, atol=1e-4) and np.allclose(mx[row], ref_max)
    # torch in, torch out: the same numbers
    t_mean = ek.mean_pool(torch.from_numpy(x), torch.from_numpy(mask))
    assert np.allclose(t_mean.numpy(), mean, atol=1e-5)


@FEW
@given(hnp.arrays(np.float32, st.tuples(st.just(2), st.integers(1, 5), st.just(4)),
                  elements=st.floats(-3, 3, width=32)), st.data())
def test_attention_matches_torch(q, data):
    import torch.nn.functional as F

    mask = data.draw(hnp.arrays(np.bool_, (q.shape[1], q.shape[1])))
    mask[:, 0] = True                           # every query sees at least one key
    out, w = ek.scaled_dot_product_attention(q, q, q, mask)
    ref = F.scaled_dot_product_attention(*(torch.from_numpy(q),) * 3, attn_mask=torch.from_numpy(mask))
    assert np.allclose(out, ref.numpy(), atol=1e-5) and np.allclose(w.sum(-1), 1, atol=1e-5)


@FEW
@given(st.lists(st.text(alphabet="abcde", min_size=1, max_size=3), min_size=1, max_size=12, unique=True),
       st.data())
def test_vocabulary_orders_by_count_then_word(words, data):
    counts = data.draw(st.lists(st.integers(1, 9), min_size=len(words), max_size=len(words)))
    vocab = ek.Vocabulary(words, counts)
    ref = sorted(zip(words, counts), key=lambda wc: (-wc[1], wc[0]))
    assert vocab.words == [w for w, _ in ref] and vocab.counts.tolist() == [c for _, c in ref]
    # whole-number floats are counts too; the same vocabulary
    assert ek.Vocabulary(words, [float(c) for c in counts]).words == vocab.words


# -- invalid input: a clear error naming the argument ----------------------------------------
def _trained(index, n=64):
    x = np.random.default_rng(0).standard_normal((n, D)).astype(np.float32)
    if index.needs_training:
        index.train(x)
    index.add(x)
    return index


INDEXES = {
    "FlatIndex": lambda: ek.FlatIndex(D),
    "IVFIndex": lambda: ek.IVFIndex(D, 4),
    "IVFPQIndex": lambda: ek.IVFPQIndex(D, 4, 2, nbits=4),
    "PQIndex": lambda: ek.PQIndex(D, 2, nbits=4),
    "HNSWIndex": lambda: ek.HNSWIndex(D, M=4, ef_construction=16),
    "LSHIndex": lambda: ek.LSHIndex(D, 8),
    "RPForestIndex": lambda: ek.RPForestIndex(D, 2, 8),
    "SQIndex": lambda: ek.SQIndex(D),
    "BinaryIndex": lambda: ek.BinaryIndex(D),
}
_BUILT: dict = {}


def _index(name):
    if name not in _BUILT:
        _BUILT[name] = _trained(INDEXES[name]())
    return _BUILT[name]


@pytest.mark.parametrize("name", INDEXES)
@FEW
@given(bad=bad_matrices(), which=st.sampled_from(["add", "search"]))
def test_index_rejects_bad_vectors(bad_input, name, bad, which):
    index = _index(name)
    before = index.ntotal
    argument = "x" if which == "add" else "q"
    with bad_input("search", f"{name}.{which}", argument):
        index.add(bad) if which == "add" else index.search(bad, 1)
    assert index.ntotal == before


@pytest.mark.parametrize("name", INDEXES)
@FEW
@given(k=bad_counts_k)
def test_index_rejects_bad_k(bad_input, name, k):
    with bad_input("search", f"{name}.search", "k"):
        _index(name).search(np.zeros((1, D), np.float32), k)


@FEW
@given(d=st.one_of(st.integers(-3, 0), st.floats(1.5, 3.5), st.none(), st.text(max_size=2)),
       name=st.sampled_from(sorted(INDEXES)))
def test_index_constructors_reject_bad_d(bad_input, d, name):
    makers = {"FlatIndex": ek.FlatIndex, "HNSWIndex": ek.HNSWIndex, "LSHIndex": lambda d: ek.LSHIndex(d, 8),
              "IVFIndex": lambda d: ek.IVFIndex(d, 4), "SQIndex": ek.SQIndex, "BinaryIndex": ek.BinaryIndex,
              "PQIndex": lambda d: ek.PQIndex(d, 2), "IVFPQIndex": lambda d: ek.IVFPQIndex(d, 4, 2),
              "RPForestIndex": lambda d: ek.RPForestIndex(d, 2, 8)}
    with bad_input("search", f"{name}(d)", "d"):
        makers[name](d)


def _any_valid_width(b) -> bool:
    """A finite non-empty float matrix: valid for kmeans, whatever its width."""
    return isinstance(b, np.ndarray) and b.ndim == 2 and b.size > 0 and b.dtype.kind == "f" \
        and bool(np.isfinite(b).all())


@FEW
@given(bad=bad_matrices().filter(lambda b: not _any_valid_width(b)), k=st.integers(1, 3))
def test_kmeans_and_quantizers_reject_bad_data(bad_input, bad, k):
    with bad_input("search", "kmeans", "X"):
        ek.kmeans(bad, k)
    with bad_input("search", "ProductQuantizer.fit", "x"):
        ek.ProductQuantizer(2, nbits=2).fit(bad)


@SOME
@given(bad=st.one_of(bad_matrices(), st.just(np.zeros(D, np.float32)[None, :][:0])),
       which=st.sampled_from(["top_k", "pairwise", "cosine"]))
def test_similarity_rejects_bad_vectors(bad_input, bad, which):
    good = np.ones((3, D), np.float32)
    if which == "top_k":
        with bad_input("core", "top_k", "queries"):
            ek.top_k(bad, good, 1)
    elif which == "pairwise":
        with bad_input("core", "pairwise", "A"):
            ek.pairwise(bad, good)
    else:
        arg = bad
        if isinstance(bad, np.ndarray) and bad.ndim == 2 and len(bad):
            # one row of the bad matrix: the row that holds the NaN or infinity, if any (an
            # all-finite first row would be a valid vector)
            broken = np.flatnonzero(~np.isfinite(bad).all(axis=1)) if bad.dtype.kind == "f" else []
            arg = bad[broken[0]] if len(broken) else bad[0]
        with bad_input("core", "cosine", "a"):
            ek.cosine(arg, np.ones(D, np.float32))


@SOME
@given(words=st.one_of(st.text(min_size=1, max_size=5), st.none(), st.integers(),
                       st.lists(st.one_of(st.none(), st.integers(), st.lists(st.text(max_size=2), max_size=2)),
                                min_size=1, max_size=3)))
def test_vocabulary_rejects_bad_words(bad_input, words):
    n = len(words) if isinstance(words, (str, list)) else 1
    with bad_input("text", "Vocabulary(words)", "words"):
        ek.Vocabulary(words, [1] * n)


@SOME
@given(counts=st.one_of(
    st.lists(st.floats(0.1, 5).filter(lambda c: c != int(c)), min_size=2, max_size=2),
    st.lists(st.integers(-5, -1), min_size=2, max_size=2),
    st.lists(st.floats(allow_nan=True).filter(lambda c: not np.isfinite(c)), min_size=2, max_size=2),
    st.just([[1, 2]]), st.none(), st.text(max_size=3), st.just(["1", "2"])))
def test_vocabulary_rejects_bad_counts(bad_input, counts):
    with bad_input("text", "Vocabulary(counts)", "counts"):
        ek.Vocabulary(["a", "b"], counts)


@SOME
@given(sentences=st.one_of(
    st.text(max_size=5), st.none(), st.integers(),
    st.lists(st.one_of(st.none(), st.integers()), min_size=1, max_size=3),
    st.lists(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=1, max_size=3), min_size=1, max_size=3)))
def test_vocabulary_from_sentences_rejects_bad_sentences(bad_input, sentences):
    with bad_input("text", "Vocabulary.from_sentences", "sentences"):
        ek.Vocabulary.from_sentences(sentences)


_WV = ek.WordVectors(["a", "b", "c", "d", "e"], np.eye(5, 4, dtype=np.float32) + 0.1)


@SOME
@given(questions=st.one_of(
    st.just([]), st.text(max_size=4), st.none(),
    st.lists(st.tuples(*[st.sampled_from("abcde")] * 3), min_size=1, max_size=3),        # 3 words
    st.lists(st.tuples(*[st.one_of(st.none(), st.integers())] * 4), min_size=1, max_size=2),
    st.lists(st.tuples(*[st.sampled_from(["x", "y", "z"])] * 4), min_size=1, max_size=3)))  # unknown words
def test_analogies_reject_empty_malformed_or_unscorable_questions(bad_input, questions):
    with bad_input("text", "WordVectors.evaluate_analogies", "questions"):
        _WV.evaluate_analogies(questions)


@SOME
@given(vectors=bad_matrices(4), word=st.one_of(st.text(alphabet="xyz", max_size=3), st.none(), st.integers()))
def test_word_vectors_reject_bad_vectors_and_unknown_words(bad_input, vectors, word):
    with bad_input("text", "WordVectors(vectors)", "vectors"):
        ek.WordVectors(["a", "b", "c"], vectors)
    with bad_input("text", "WordVectors[word]", "word"):
        _WV[word]


@SOME
@given(x=with_non_finite((2, 3, 4)), which=st.sampled_from(["mean_pool", "max_pool", "cls_pool"]),
       torch_in=st.booleans())
def test_pooling_rejects_nan_and_inf(bad_input, x, which, torch_in):
    with bad_input("neural", which, "x"):
        getattr(ek, which)(torch.from_numpy(x) if torch_in else x)


@SOME
@given(mask=hnp.arrays(np.int64, (2, 3), elements=st.integers(-3, 5)).filter(lambda m: ((m < 0) | (m > 1)).any()))
def test_pooling_rejects_masks_that_are_not_0_1(bad_input, mask):
    with bad_input("neural", "mean_pool", "mask"):
        ek.mean_pool(np.ones((2, 3, 4), np.float32), mask)


@SOME
@given(q=with_non_finite((1, 3, 4)), which=st.sampled_from(["q", "k", "v"]))
def test_attention_rejects_nan_and_inf(bad_input, q, which):
    good = np.ones((1, 3, 4), np.float32)
    args = {"q": good, "k": good, "v": good, which: q}
    with bad_input("neural", "scaled_dot_product_attention", which):
        ek.scaled_dot_product_attention(args["q"], args["k"], args["v"])


@SOME
@given(mask=hnp.arrays(st.sampled_from([np.int64, np.int32, np.uint8]), (3, 3), elements=st.integers(0, 1)),
       as_torch=st.booleans())
def test_attention_refuses_integer_masks(bad_input, mask, as_torch):
    """An int 0/1 mask would be *added* to the scores (masking nothing): refused."""
    q = np.ones((1, 3, 4), np.float32)
    with bad_input("neural", "scaled_dot_product_attention", "mask"):
        ek.scaled_dot_product_attention(q, q, q, torch.from_numpy(mask) if as_torch else mask)


@SOME
@given(bad=with_non_finite((4, 3)), which=st.sampled_from(["triplet_loss", "info_nce"]),
       position=st.integers(0, 2))
def test_losses_reject_nan_and_inf(bad_input, bad, which, position):
    good = torch.ones(4, 3)
    bad = torch.from_numpy(bad)
    if which == "triplet_loss":
        names = ["anchor", "positive", "negative"]
        args = [good, good, good]
        args[position] = bad
        with bad_input("neural", which, names[position]):
            ek.triplet_loss(*args)
    else:
        names = ["queries", "keys"]
        args = [good, good]
        args[position % 2] = bad
        with bad_input("neural", which, names[position % 2]):
            ek.info_nce(*args)


@SOME
@given(device=st.one_of(st.sampled_from(["gpu", "GPU", "cuda:7", "tpu", "xla", "", "cpu:x", "metal"]),
                        st.text(alphabet="abcxyz:", min_size=1, max_size=6), st.integers(), st.floats()))
def test_get_device_rejects_unknown_devices(bad_input, device):
    if isinstance(device, str):
        try:
            ok = torch.device(device).type == "cpu"
        except RuntimeError:
            ok = False
        if ok:
            return                               # "cpu" spelled some valid way
    with bad_input("neural", "get_device", "device"):
        ek.get_device(device)


@FEW
@given(ids=st.lists(st.integers(-5, 40).filter(lambda i: i < 0 or i >= 5), min_size=1, max_size=3))
def test_sentence_encoder_rejects_ids_out_of_range(bad_input, ids):
    enc = ek.SentenceEncoder(["a", "b", "c", "d"], 4)
    ids = torch.tensor([ids])
    with bad_input("neural", "SentenceEncoder.forward", "ids"):
        enc(ids, torch.ones_like(ids, dtype=torch.bool))


@SOME
@given(I=st.one_of(st.just(np.zeros((0, 5), np.int64)), st.none(), st.text(max_size=3),
                   hnp.arrays(np.float64, (2, 3)), st.just(np.zeros(0, np.int64)),
                   hnp.arrays(np.int64, (1, 2, 2))),
       metric=st.sampled_from(["recall_at_k", "mrr", "ndcg_at_k"]))
def test_retrieval_metrics_reject_zero_queries_and_bad_ids(bad_input, I, metric):
    with bad_input("retrieval", metric, "I"):
        if metric == "recall_at_k":
            ek.recall_at_k(I, np.zeros((1, 1), np.int64), 1)
        elif metric == "mrr":
            ek.mrr(I, np.zeros((1, 1), np.int64))
        else:
            ek.ndcg_at_k(I, np.ones((1, 5)), 1)


@SOME
@given(values=st.one_of(st.just([]), with_non_finite((5,)), st.none()))
def test_bootstrap_rejects_empty_and_nan(bad_input, values):
    with bad_input("retrieval", "bootstrap_ci", "values"):
        ek.bootstrap_ci(values, n_boot=10)


@SOME
@given(docs=st.one_of(st.text(max_size=3), st.none(), st.just([]),
                      st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), min_size=1, max_size=3)))
def test_bm25_rejects_bad_docs(bad_input, docs):
    with bad_input("retrieval", "BM25.fit", "docs"):
        ek.BM25().fit(docs)


@SOME
@given(fields=st.one_of(st.none(), st.text(max_size=3), st.just([]), st.integers(),
                        st.lists(st.one_of(st.none(), st.integers()), min_size=1, max_size=2)))
def test_vector_store_rejects_bad_fields(bad_input, fields):
    with bad_input("retrieval", "VectorStore(fields)", "fields"):
        ek.VectorStore(ek.FlatIndex(D), fields)


@SOME
@given(size=st.one_of(st.text(max_size=5).filter(lambda s: s not in ("full", "small")), st.none(),
                      st.integers(-5, 0), st.floats()),
       which=st.sampled_from(["load_corpus", "load_pretrained_glove"]))
def test_datasets_reject_bad_sizes(bad_input, size, which):
    from embedkit.datasets import load_corpus, load_pretrained_glove

    if which == "load_corpus":
        with bad_input("datasets", "load_corpus", "size"):
            load_corpus(size=size, progress=False)
    else:
        if size is None:
            return                                        # None means "all words"
        with bad_input("datasets", "load_pretrained_glove", "max_words"):
            load_pretrained_glove(max_words=size)


# -- exercise checkers: never raise, never pass garbage --------------------------------------
def _questions():
    import importlib
    import pkgutil

    import embedkit.exercises as ex
    from embedkit.exercises.core import MultiPartQuestion, Question

    found = []
    for info in pkgutil.iter_modules(ex.__path__):
        if not info.name.startswith("ex"):
            continue
        module = importlib.import_module(f"embedkit.exercises.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, MultiPartQuestion):
                found += [(part.qid, part) for part in obj.parts.values()]
            elif isinstance(obj, Question):
                found.append((obj.qid, obj))
    return found


_GARBAGE = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=4),
                     st.just(np.full((2, 2), np.nan)), st.just([[1, 2], [3]]), st.just({"a": 1}),
                     st.just(lambda *a, **k: None), st.just(lambda *a, **k: 1 / 0),
                     st.just(lambda *a, **k: np.full((3, 3), np.inf)))


@settings(max_examples=12)
@given(answer=_GARBAGE)
def test_exercise_checkers_never_raise_on_garbage(bad_answer, answer):
    """A learner's wrong answer gets a verdict (incorrect / not-yet), never a traceback."""
    questions = _questions()
    assert len(questions) > 50
    for qid, question in questions:
        with bad_answer("exercises", qid.split(".")[0] + ".check"):
            verdict = question.check(answer)
        assert verdict.status in ("pass", "not-yet", "incorrect"), (qid, verdict)
        if answer is None or callable(answer):
            assert verdict.status != "pass", (qid, verdict)


# -- more entry points, one garbage strategy -------------------------------------------------
GARBAGE = st.one_of(st.none(), st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=3),
                    st.just([[1, 2], [3]]), st.just([None]), st.just({"a": 1}))
_SENTS = [["a", "b", "c"]] * 3
_VOCAB = ek.Vocabulary(["a", "b", "c"], [3, 2, 1])


def _more_entry_points():
    from embedkit.neural.encoder import MLMVocab

    return {
        # (part, argument, call with the garbage)
        "normalize": ("core", "X", lambda g: ek.normalize(g)),
        "ppmi": ("text", "X", lambda g: ek.ppmi(g)),
        "svd_embeddings": ("text", "M", lambda g: ek.svd_embeddings(g, 1)),
        "project": ("text", "wv", lambda g: ek.project(g, ["a"], np.ones(3))),
        "hard_debias": ("text", "wv", lambda g: ek.hard_debias(g, np.ones(3), ["a"])),
        "gender_direction": ("text", "pairs", lambda g: ek.gender_direction(_WV, [g])),
        "train_word2vec": ("text", "sentences", lambda g: ek.train_word2vec(g, min_count=1, progress=False)),
        "train_subword": ("text", "sentences", lambda g: ek.train_subword(g, min_count=1, progress=False)),
        "train_glove": ("text", "sentences", lambda g: ek.train_glove(g, min_count=1, progress=False)),
        "sif_embeddings": ("neural", "wv", lambda g: ek.sif_embeddings(_SENTS, g, {"a": 0.1})),
        "train_sentence_encoder": ("neural", "encoder",
                                   lambda g: ek.train_sentence_encoder(g, ["a"] * 4, ["b"] * 4, batch_size=2)),
        "hash_bucket": ("neural", "values",     # any list or dict is a valid sequence of values
                        lambda g: ek.hash_bucket(g if not isinstance(g, (list, dict)) else 5, 8)),
        "contextual_vectors": ("neural", "encoder",
                               lambda g: ek.contextual_vectors(g, _SENTS, MLMVocab(_VOCAB))),
        "hamming_distances": ("search", "a_codes",
                              lambda g: ek.hamming_distances(g, np.zeros((1, 1), np.uint8))),
        "score_fusion": ("retrieval", "results", lambda g: ek.score_fusion(g if g is not None else "x")),
        "chunk_documents": ("retrieval", "docs",          # a list of lists is a valid list of token lists
                            lambda g: ek.chunk_documents([None] if g == [[1, 2], [3]] else g, 2)),
    }


@pytest.mark.parametrize("api", sorted(_more_entry_points()))
@settings(max_examples=12)
@given(garbage=GARBAGE)
def test_more_entry_points_reject_garbage(bad_input, api, garbage):
    part, argument, call = _more_entry_points()[api]
    with bad_input(part, api, argument):
        call(garbage)


# -- lesson 18: the factory, the trade-off tools, the thread count ---------------------------
@SOME
@given(description=st.one_of(
    st.none(), st.integers(), st.just(""), st.text(alphabet="IVFPQHNSWOFlatx,0123456789_", max_size=12)
    .filter(lambda s: s.strip() not in ("Flat",) and not s.startswith(("IVF", "PQ", "HNSW", "SQ", "OPQ")))))
def test_index_factory_rejects_bad_descriptions(bad_input, description):
    with bad_input("search", "index_factory", "description" if not isinstance(description, str) else repr(description)):
        ek.index_factory(D, description)


@FEW
@given(points=st.one_of(st.none(), st.integers(), st.just([(0.5,)]), st.just([("a", 1.0)]),
                        st.lists(st.tuples(st.floats(1.01, 5), st.floats(1, 100)), min_size=1, max_size=3),
                        st.lists(st.tuples(st.floats(0, 1), st.floats(-100, 0)), min_size=1, max_size=3)))
def test_frontier_tools_reject_bad_points(bad_input, points):
    with bad_input("search", "pareto_frontier", "points"):
        ek.pareto_frontier(points)


@SOME
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(1, 1e6)), min_size=1, max_size=12), st.floats(0, 1))
def test_qps_at_recall_reads_the_frontier(points, target):
    """The speed at the target is at least that of the fastest setting that reaches it, and
    at most that of the fastest setting overall (it is read between the two)."""
    front = ek.pareto_frontier(points)
    qps = ek.qps_at_recall(points, target)
    reached = [q for r, q in front if r >= target]
    if not reached:
        assert np.isnan(qps)
    else:
        assert max(reached) * (1 - 1e-9) <= qps <= max(q for _, q in front) * (1 + 1e-9)


@SOME
@given(n=st.one_of(st.none(), st.integers(-5, 0), st.floats(1.5, 9.5), st.text(max_size=2)),
       which=st.sampled_from(["recommend_index.n", "set_num_threads"]))
def test_counts_reject_bad_values(bad_input, n, which):
    if which == "set_num_threads":
        before = ek.get_num_threads()
        with bad_input("search", "set_num_threads", "n"):
            ek.set_num_threads(n)
        assert ek.get_num_threads() == before
    else:
        with bad_input("search", "recommend_index", "n"):
            ek.recommend_index(n, D)


@SOME
@given(n=st.integers(1, 10**9), d=st.integers(1, 2048),
       budget=st.one_of(st.none(), st.floats(9, 20_000)), updates=st.booleans(), filtered=st.booleans())
def test_recommend_index_always_names_a_buildable_index(n, d, budget, updates, filtered):
    try:
        description, reason = ek.recommend_index(n, d, bytes_per_vector=budget, updates=updates,
                                                 filtered=filtered)
    except ValueError as err:            # a budget too small for any PQ code: said clearly
        assert "bytes_per_vector" in str(err)
        return
    assert reason and isinstance(ek.index_factory(d, description), ek.search.index_base.Index)
