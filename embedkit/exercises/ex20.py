"""Checks for ``exercises/20_semantic_search_end_to_end.ipynb``, the capstone exercise:
filtered search with over-fetch, merging shards, sizing a deployment, swapping the encoder.

The data of Q4 (a 2,000-article slice of the lesson's Wikipedia collection, its
description queries and two encoders) comes from :func:`capstone_data`, so that the
notebook and the checker embed exactly the same texts the same way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .core import FunctionQuestion, MultiPartQuestion, ValueQuestion


# -- Q1: filtered search with over-fetch ----------------------------------------------------
def _filtered_ref(search, passes, q, k, overfetch):
    passes = np.asarray(passes, dtype=bool)
    n = len(passes)
    fetch = min(n, k * overfetch)
    while True:
        D, I = search(q, fetch)
        keep = (I >= 0) & passes[np.maximum(I, 0)]
        D, I = D[keep], I[keep]
        if len(I) >= k or fetch >= n:
            break
        fetch = min(n, 2 * fetch)
    out_D, out_I = np.full(k, np.inf), np.full(k, -1, dtype=np.int64)
    out_D[:min(k, len(I))], out_I[:min(k, len(I))] = D[:k], I[:k]
    return out_D, out_I


def flat_search_over(X: np.ndarray) -> Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]:
    """An exact ``search(q, k) -> (D (k,), I (k,))`` over the rows of X: squared L2,
    ascending, ties by id, ``-1`` / ``inf`` padding beyond ``len(X)``. Stands in for any ANN
    index in Q1 (the filter logic does not care which index answers)."""
    X = np.asarray(X, dtype=np.float64)

    def search(q, k):
        k = int(k)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        d = ((X - np.asarray(q, dtype=np.float64)) ** 2).sum(1)
        order = np.lexsort((np.arange(len(X)), d))[:k]
        D, I = np.full(k, np.inf), np.full(k, -1, dtype=np.int64)
        D[:len(order)], I[:len(order)] = d[order], order
        return D, I

    return search


_r1 = np.random.default_rng(201)
_X1 = _r1.standard_normal((400, 8))
_SEARCH1 = flat_search_over(_X1)
_rare = np.zeros(400, dtype=bool)
_rare[_r1.choice(400, 20, replace=False)] = True                    # 5% pass
_very_rare = np.zeros(400, dtype=bool)
_very_rare[[3, 77, 301]] = True                                    # fewer than k pass at all
q1 = FunctionQuestion(
    qid="ex20.q1",
    title="Q1 filtered_search(search, passes, q, k, overfetch): post-filtering that still returns k hits",
    name="filtered_search",
    reference=_filtered_ref,
    cases=[
        ("filtered_search(400 vectors, 5% pass, k=10, overfetch=2)", (_SEARCH1, _rare, _r1.standard_normal(8), 10, 2)),
        ("filtered_search(every vector passes, k=5, overfetch=4)", (_SEARCH1, np.ones(400, bool), _r1.standard_normal(8), 5, 4)),
        ("filtered_search(only 3 vectors pass, k=10): pad with -1 and inf", (_SEARCH1, _very_rare, _r1.standard_normal(8), 10, 3)),
        ("filtered_search(5% pass, k=1, overfetch=1)", (_SEARCH1, _rare, _X1[0], 1, 1)),
    ],
    atol=1e-9, rtol=1e-9,
    keep_inputs=True,
    hint_text=[
        """
        Ask the index for more than k hits (k * overfetch), keep those that pass the filter,
        and if fewer than k survive, ask again with twice as many, until k survive or you
        have fetched all n = len(passes) vectors (the index cannot return more).
        """,
        """
        The hits come back best first, so the first k survivors are the answer. Filter on
        passes[I], and never ask for more than n. If even a full fetch leaves fewer than k,
        pad the result to length k with distance inf and id -1, as an index does.
        """,
        """
        fetch = min(n, k * overfetch)
        while True: D, I = search(q, fetch); keep = passes[I]; if keep.sum() >= k or fetch == n: break; fetch = min(n, 2 * fetch)
        out_D = np.full(k, np.inf); out_I = np.full(k, -1); copy the first k survivors in
        """,
    ],
    solution_text="""
        def filtered_search(search, passes, q, k, overfetch):
            n = len(passes)
            fetch = min(n, k * overfetch)
            while True:
                D, I = search(q, fetch)
                keep = (I >= 0) & passes[np.maximum(I, 0)]
                D, I = D[keep], I[keep]
                if len(I) >= k or fetch >= n:            # enough, or nothing more to fetch
                    break
                fetch = min(n, 2 * fetch)                  # over-fetch harder and retry
            out_D, out_I = np.full(k, np.inf), np.full(k, -1)
            out_D[:min(k, len(I))], out_I[:min(k, len(I))] = D[:k], I[:k]
            return out_D, out_I
    """,
)


# -- Q2: merging the answers of shards -------------------------------------------------------
def _merge_ref(parts, k):
    Ds, Is = [], []
    for D, I_local, ids in parts:
        D, I_local, ids = np.asarray(D, np.float64), np.asarray(I_local), np.asarray(ids)
        Ds.append(D)
        Is.append(np.where(I_local >= 0, ids[np.maximum(I_local, 0)], -1))
    D, I = np.hstack(Ds), np.hstack(Is)
    big = np.iinfo(np.int64).max
    order = np.array([np.lexsort((np.where(i >= 0, i, big), d))[:k] for d, i in zip(D, I)])
    return np.take_along_axis(D, order, axis=1), np.take_along_axis(I, order, axis=1)


def _shards(X, Q, S, k, seed):
    """Search S hash shards of X exactly: [(D_s, local I_s, global ids of shard s)]."""
    parts = []
    shard_of = np.random.default_rng(seed).integers(0, S, len(X))
    for s in range(S):
        ids = np.flatnonzero(shard_of == s)
        search = flat_search_over(X[ids])
        res = [search(q, k) for q in Q]
        parts.append((np.stack([r[0] for r in res]), np.stack([r[1] for r in res]), ids))
    return parts


_r2 = np.random.default_rng(202)
_X2 = _r2.standard_normal((300, 6))
_X2[150:155] = _X2[10:15]                                    # duplicates in other shards: ties
_Q2 = np.concatenate([_X2[10:12], _r2.standard_normal((4, 6))])
_TINY = [(np.array([[0.5, 2.0]]), np.array([[1, 0]]), np.array([7, 3])),
         (np.array([[1.0, np.inf, np.inf]]), np.array([[0, -1, -1]]), np.array([12]))]
q2 = FunctionQuestion(
    qid="ex20.q2",
    title="Q2 merge_shards(parts, k): the global top k from every shard's answer",
    name="merge_shards",
    reference=_merge_ref,
    cases=[
        ("merge_shards(a shard with ids [7, 3] and a one-vector shard padded with -1, k=3)", (_TINY, 3)),
        ("merge_shards(4 shards of 300 vectors with duplicates across shards, k=10)", (_shards(_X2, _Q2, 4, 10, 1), 10)),
        ("merge_shards(7 shards, k=5)", (_shards(_X2, _Q2, 7, 5, 2), 5)),
        ("merge_shards(the tiny shards, k=4 > the 3 real hits)", (_TINY, 4)),
    ],
    atol=1e-9, rtol=1e-9,
    keep_inputs=True,
    hint_text=[
        """
        Each shard answered with its own row numbers: turn them into global ids (ids[I_local])
        first, but an id of -1 (no result) must stay -1: ids[-1] would silently be the
        shard's last vector. Then concatenate all shards' candidates and keep the k smallest
        distances per query, sorted.
        """,
        """
        Ties (equal distances, e.g. duplicate vectors in two shards) go to the lower global
        id, and padding (-1, inf) sorts last. np.lexsort((ids, distances)) per row does both
        if the -1 ids are given a large sort key. Return (D, I), each (nq, k).
        """,
        """
        I_glob = np.where(I_local >= 0, ids[np.maximum(I_local, 0)], -1) for each shard
        D, I = np.hstack(all D), np.hstack(all I_glob)
        order = per row: np.lexsort((np.where(i >= 0, i, big), d))[:k]
        """,
    ],
    solution_text="""
        def merge_shards(parts, k):
            Ds, Is = [], []
            for D, I_local, ids in parts:
                Ds.append(D)
                Is.append(np.where(I_local >= 0, ids[np.maximum(I_local, 0)], -1))   # -1 stays -1
            D, I = np.hstack(Ds), np.hstack(Is)
            key = np.where(I >= 0, I, np.iinfo(np.int64).max)        # padding sorts last
            order = np.array([np.lexsort((kk, d))[:k] for d, kk in zip(D, key)])
            return np.take_along_axis(D, order, axis=1), np.take_along_axis(I, order, axis=1)
    """,
)


# -- Q3: sizing a deployment ------------------------------------------------------------------
def _hnsw_bytes_ref(d, M):
    return 4 * d + 4 * 2 * M + 4 * M / (M - 1)


def _machines_ref(n, bytes_per_vector, ram_bytes, replicas):
    return math.ceil(n * bytes_per_vector / ram_bytes) * replicas


q3 = MultiPartQuestion(
    "ex20.q3", "Q3 sizing: bytes per vector, and machines",
    a=FunctionQuestion(
        qid="ex20.q3.a", title="Q3a hnsw_bytes(d, M): bytes per vector of an HNSW index with float32 vectors",
        name="hnsw_bytes", reference=_hnsw_bytes_ref,
        cases=[("hnsw_bytes(384, 32)", (384, 32)), ("hnsw_bytes(50, 16)", (50, 16)), ("hnsw_bytes(768, 8)", (768, 8))],
        atol=1e-9, rtol=1e-9,
        hint_text=[
            r"""
            Three parts: the float32 vector (4 bytes per dimension); its links on layer 0 (up
            to 2M int32 ids); and its links on the upper layers, M ids on each layer it
            reaches above 0.
            """,
            r"""
            A node reaches layer l >= 1 with probability M^(-l) (notebook 16), so it has
            sum_{l >= 1} M^(-l) = 1 / (M - 1) upper layers on average: 4 * M / (M - 1) bytes.
            """,
            "return 4 * d + 4 * 2 * M + 4 * M / (M - 1)",
        ],
        solution_text="""
            def hnsw_bytes(d, M):
                # vector + layer-0 links (2M int32) + upper layers: M links on 1/(M-1) layers on average
                return 4 * d + 4 * 2 * M + 4 * M / (M - 1)
        """),
    b=FunctionQuestion(
        qid="ex20.q3.b", title="Q3b machines_needed(n, bytes_per_vector, ram_bytes, replicas)",
        name="machines_needed", reference=_machines_ref,
        cases=[("machines_needed(1e9, hnsw_bytes(384, 32), 64e9, 2)", (10 ** 9, _hnsw_bytes_ref(384, 32), 64e9, 2)),
               ("machines_needed(1e9, 1536, 64e9, 2) (exactly 24 shards' worth)", (10 ** 9, 1536, 64e9, 2)),
               ("machines_needed(1e6, 1536, 64e9, 3) (fits on one machine)", (10 ** 6, 1536, 64e9, 3)),
               ("machines_needed(5e8, 56, 16e9, 1)", (5 * 10 ** 8, 56, 16e9, 1))],
        atol=0, rtol=0,
        hint_text=[
            """
            Shards first: the index of n vectors must be split into enough shards that each
            fits in one machine's RAM; a shard count is a whole number (round up). Then every
            shard is held `replicas` times.
            """,
            "ceil(n * bytes_per_vector / ram_bytes) shards, times replicas (round the shards, not the product).",
        ],
        solution_text="""
            def machines_needed(n, bytes_per_vector, ram_bytes, replicas):
                shards = math.ceil(n * bytes_per_vector / ram_bytes)     # a whole number of shards
                return shards * replicas                                 # each held `replicas` times
        """),
)


# -- Q4: swapping the encoder (an experiment) ------------------------------------------------
@dataclass
class CapstoneData:
    """A slice of the lesson's collection: documents, description queries, two encoders.

    ``encode_v1`` is SIF over GloVe (the lesson's encoder), ``encode_v2`` plain mean
    pooling of the same GloVe vectors (a different encoder with the same dimension), and
    ``encode_v2_retrained`` the same recipe as v2 with a differently initialised model,
    whose space is an arbitrary rotation of v2's (as two word2vec runs are, notebook 07).
    Each returns unit rows, float32.
    """

    documents: list[str]
    queries: list[str]
    relevant: np.ndarray                # (nq,) the document id each query describes
    encode_v1: Callable[[list[str]], np.ndarray]
    encode_v2: Callable[[list[str]], np.ndarray]
    encode_v2_retrained: Callable[[list[str]], np.ndarray]


_DATA: dict = {}


def _memoised(encode):
    """The same encoder, remembering its last few answers: the notebook and the checker
    embed the same thousands of texts, and embedding them twice would double the wait."""
    cache: dict = {}

    def wrapped(texts):
        key = tuple(texts)
        if key not in cache:
            if len(cache) >= 4:
                cache.clear()
            cache[key] = encode(list(texts))
        return cache[key].copy()

    wrapped.__doc__ = encode.__doc__
    return wrapped


def capstone_data(n_docs: int = 2000) -> CapstoneData:
    """The data of Q4 (cached): the first ``n_docs`` articles and their description queries."""
    if n_docs in _DATA:
        return _DATA[n_docs]
    import collections

    from ..datasets import load_pretrained_glove, load_wiki_articles
    from ..neural.pooling import sif_embeddings
    from ..similarity import normalize
    from ..text.tokenizer import tokenize

    articles = load_wiki_articles()
    docs = articles.texts[:n_docs]
    desc = articles.descriptions[:n_docs]
    counts = collections.Counter(articles.descriptions)
    relevant = np.array([i for i, d in enumerate(desc) if len(d.split()) >= 3 and counts[d] == 1])
    glove = load_pretrained_glove(max_words=100_000)
    doc_tokens = [tokenize(t) for t in docs]
    freq = collections.Counter(w for toks in doc_tokens for w in toks)
    total = sum(freq.values())
    word_prob = {w: c / total for w, c in freq.items()}
    _, components = sif_embeddings(doc_tokens, glove, word_prob, return_components=True)

    def encode_v1(texts):
        return normalize(sif_embeddings([tokenize(t) for t in texts], glove, word_prob, components=components))

    def encode_v2(texts):
        rows = []
        for toks in (tokenize(t) for t in texts):
            known = [w for w in toks if w in glove]
            rows.append(np.mean(glove[known], axis=0) if known else np.zeros(glove.vector_size))
        return normalize(np.array(rows, dtype=np.float32))

    rotation = np.linalg.qr(np.random.default_rng(2020).standard_normal((glove.vector_size,) * 2))[0]

    def encode_v2_retrained(texts):
        return (encode_v2(texts) @ rotation).astype(np.float32)

    _DATA[n_docs] = CapstoneData(docs, [desc[i] for i in relevant], relevant, _memoised(encode_v1),
                                 _memoised(encode_v2), _memoised(encode_v2_retrained))
    return _DATA[n_docs]


def _recall10(Q, X, relevant):
    scores = np.asarray(Q, np.float64) @ np.asarray(X, np.float64).T
    top = np.argpartition(-scores, 9, axis=1)[:, :10]          # the 10 best, any order
    return float(np.mean((top == np.asarray(relevant)[:, None]).any(axis=1)))


def _swap_expected():
    data = capstone_data()
    X1, X2 = data.encode_v1(data.documents), data.encode_v2(data.documents)
    Q1, Q2 = data.encode_v1(data.queries), data.encode_v2(data.queries)
    Q2r = data.encode_v2_retrained(data.queries)
    return {"v1": _recall10(Q1, X1, data.relevant), "v2": _recall10(Q2, X2, data.relevant),
            "v2 queries, v1 documents": _recall10(Q2, X1, data.relevant),
            "retrained v2 queries, v2 documents": _recall10(Q2r, X2, data.relevant)}


q4 = ValueQuestion(
    qid="ex20.q4",
    title="Q4 swapping the encoder: recall@10 of four configurations",
    name="recall_at_10",
    expected_fn=_swap_expected,
    atol=3e-3, rtol=0,            # about 5 of the 1,725 queries: float32 ties at rank 10 may differ
    hint_text=[
        """
        recall@10 here: the share of queries whose relevant document (data.relevant[i]) is
        among the 10 documents with the largest inner product (all vectors are unit rows, so
        inner product = cosine), exact search over all documents. Encode the documents and
        the queries with the encoder each configuration names.
        """,
        """
        Four dict entries: "v1" (v1 queries on v1 documents), "v2" (v2 on v2), "v2 queries,
        v1 documents" (the encoder was swapped for queries only), "retrained v2 queries, v2
        documents" (the model was retrained, the index was not rebuilt).
        """,
        """
        def recall10(Q, X): top = np.argsort(-(Q @ X.T), axis=1, kind="stable")[:, :10]
                            return np.mean((top == data.relevant[:, None]).any(axis=1))
        """,
    ],
    solution_text="""
        X1, X2 = data.encode_v1(data.documents), data.encode_v2(data.documents)
        Q1, Q2 = data.encode_v1(data.queries), data.encode_v2(data.queries)
        recall_at_10 = {"v1": recall10(Q1, X1), "v2": recall10(Q2, X2),
                        "v2 queries, v1 documents": recall10(Q2, X1),
                        "retrained v2 queries, v2 documents": recall10(data.encode_v2_retrained(data.queries), X2)}
    """,
)

QUESTIONS = [q1, q2, q3, q4]
