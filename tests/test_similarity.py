"""embedkit.similarity: hand-computed cases, invariants, and scipy as the reference."""
import numpy as np
import pytest
from scipy.spatial import distance

import embedkit as ek

A, B, C, D, E = ([3, 30], [15, 4], [3, 27], [7.5, 75], [7.5, 2])


# -- tier 1: worked numbers from notebook 01 -------------------------------------------
def test_materials_worked_numbers():
    assert ek.dot(A, B) == pytest.approx(165.0)
    assert ek.cosine(A, B) == pytest.approx(165 / np.sqrt(909 * 241), rel=1e-6)
    # The seed notes claimed cos(A, C) = 1.000 by using C = [3, 30]; it is 819 / sqrt(909 * 738).
    assert ek.cosine(A, C) == pytest.approx(819 / np.sqrt(909 * 738), rel=1e-6)
    assert ek.cosine(A, C) < 0.99995
    assert ek.cosine(A, D) == pytest.approx(1.0, abs=1e-6)  # D = 2.5 A
    assert ek.cosine(B, E) == pytest.approx(1.0, abs=1e-6)  # E = 0.5 B
    assert ek.l2(A, C) == pytest.approx(3.0)
    assert ek.l1(A, B) == pytest.approx(12 + 26)
    assert ek.hamming([1, 0, 1, 1], [1, 1, 0, 1]) == 2


def test_zero_vector_rule():
    z = np.zeros(3)
    assert ek.cosine(z, [1, 2, 3]) == 0.0
    assert ek.cosine(z, z) == 0.0
    out = ek.normalize(np.array([[0, 0, 0], [3, 4, 0]], dtype=np.float32))
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_allclose(out[1], [0.6, 0.8, 0])
    S = ek.pairwise([[0, 0], [1, 0]], [[1, 1]], metric="cosine")
    assert S[0, 0] == 0.0 and not np.isnan(S).any()


# -- tier 2: invariants ----------------------------------------------------------------
def test_unit_vectors_l2_equals_cosine_identity():
    rng = np.random.default_rng(0)
    X = ek.normalize(rng.standard_normal((50, 16)))
    sq = ek.pairwise(X, X, metric="sqeuclidean")
    cos = ek.pairwise(X, X, metric="cosine")
    np.testing.assert_allclose(sq, 2 - 2 * cos, atol=1e-5)


def test_cosine_is_scale_invariant_and_bounded():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(10), rng.standard_normal(10)
    assert ek.cosine(a, b) == pytest.approx(ek.cosine(7 * a, 0.1 * b), abs=1e-6)
    assert ek.cosine(a, a) == 1.0 and ek.cosine(a, -a) == -1.0


def test_normalize_single_vector_and_dtype():
    v = ek.normalize([3, 4])
    assert v.dtype == np.float32 and v.shape == (2,)
    np.testing.assert_allclose(v, [0.6, 0.8])
    assert ek.normalize(np.zeros((0, 4))).shape == (0, 4)


# -- tier 3: scipy as the independent reference ----------------------------------------
@pytest.mark.parametrize("metric, ref", [
    ("cosine", lambda a, b: 1 - distance.cosine(a, b)),
    ("dot", lambda a, b: float(np.dot(a, b))),
    ("l2", distance.euclidean),
    ("sqeuclidean", distance.sqeuclidean),
    ("l1", distance.cityblock),
])
def test_single_pair_matches_scipy(metric, ref):
    rng = np.random.default_rng(2)
    fn = {"cosine": ek.cosine, "dot": ek.dot, "l2": ek.l2, "l1": ek.l1,
          "sqeuclidean": lambda a, b: ek.l2(a, b) ** 2}[metric]
    for _ in range(20):
        a, b = rng.standard_normal(32), rng.standard_normal(32)
        assert fn(a, b) == pytest.approx(ref(a, b), rel=1e-4, abs=1e-4)


def test_hamming_counts_what_scipy_gives_as_a_fraction():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 2, 64), rng.integers(0, 2, 64)
    assert ek.hamming(a, b) == round(distance.hamming(a, b) * 64)


@pytest.mark.parametrize("metric, scipy_metric, sign", [
    ("cosine", "cosine", -1), ("dot", None, 1), ("ip", None, 1), ("l2", "euclidean", 1),
    ("sqeuclidean", "sqeuclidean", 1), ("l1", "cityblock", 1), ("hamming", "hamming", 1),
])
def test_pairwise_matches_scipy_cdist(metric, scipy_metric, sign):
    rng = np.random.default_rng(4)
    if metric == "hamming":
        X, Y = rng.integers(0, 2, (30, 24)), rng.integers(0, 2, (20, 24))
        expected = distance.cdist(X, Y, "hamming") * 24
    else:
        X, Y = rng.standard_normal((30, 24)), rng.standard_normal((20, 24))
        expected = X @ Y.T if scipy_metric is None else distance.cdist(X, Y, scipy_metric)
        if metric == "cosine":
            expected = 1 - expected
    got = ek.pairwise(X, Y, metric=metric)
    assert got.shape == (30, 20) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("metric", ["cosine", "dot", "l2", "sqeuclidean", "l1", "hamming"])
def test_top_k_equals_full_sort_of_pairwise(metric):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((500, 16)).astype(np.float32)
    Q = rng.standard_normal((7, 16)).astype(np.float32)
    if metric == "hamming":
        X, Q = (X > 0).astype(np.uint8), (Q > 0).astype(np.uint8)
    full = ek.pairwise(Q, X, metric=metric)
    scores, ids = ek.top_k(Q, X, 10, metric=metric)
    assert scores.shape == ids.shape == (7, 10) and ids.dtype == np.int64
    np.testing.assert_allclose(scores, np.take_along_axis(full, ids, 1), rtol=1e-5, atol=1e-5)
    best_first = -full if metric in ("cosine", "dot") else full
    # Same scores as a full stable sort (ids may differ only inside exact ties).
    expected_ids = np.argsort(best_first, axis=1, kind="stable")[:, :10]
    np.testing.assert_allclose(scores, np.take_along_axis(full, expected_ids, 1), rtol=1e-5, atol=1e-5)
    if metric != "hamming":  # continuous scores: no ties, so the ids agree exactly
        np.testing.assert_array_equal(ids, expected_ids)


def test_top_k_ties_break_by_lower_id_and_k_equals_n():
    X = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], dtype=np.float32)
    scores, ids = ek.top_k([[1, 0]], X, 4, metric="dot")
    np.testing.assert_array_equal(ids[0], [0, 1, 3, 2])
    np.testing.assert_allclose(scores[0], [1, 1, 1, 0])


def test_top_k_blocks_agree_with_faiss():
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(6)
    X = rng.standard_normal((20_000, 32)).astype(np.float32)
    Q = rng.standard_normal((1_100, 32)).astype(np.float32)  # > one query block
    D, I = ek.top_k(Q, X, 5, metric="sqeuclidean")
    D_ref, I_ref = faiss.knn(Q, X, 5)
    np.testing.assert_array_equal(I, I_ref)
    np.testing.assert_allclose(D, D_ref, rtol=1e-4, atol=1e-3)


# -- bad input: a clear error naming the argument --------------------------------------
@pytest.mark.parametrize("fn", [ek.dot, ek.cosine, ek.l2, ek.l1, ek.hamming])
def test_pair_functions_reject_bad_input(fn):
    with pytest.raises(ValueError, match=r"a and b must have the same dimension"):
        fn([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"a must be 1-D"):
        fn(np.ones((2, 2, 2)), [1, 2])
    with pytest.raises(TypeError, match=r"b must be a numeric array"):
        fn([1, 2], "ab")
    with pytest.raises(ValueError, match=r"a must not be empty"):
        fn([], [])
    with pytest.raises(ValueError, match=r"a contains NaN"):
        fn([np.nan, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"b must be a rectangular numeric array"):
        fn([1, 2], [[1, 2], [3]])


def test_batch_functions_reject_bad_input():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"metric must be one of"):
        ek.pairwise(X, X, metric="euclid")
    with pytest.raises(ValueError, match=r"A and B must have the same dimension"):
        ek.pairwise(X, np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"queries must be 2-D .* pass queries\[None, :\]"):
        ek.top_k(np.ones(3), X, 1)
    with pytest.raises(ValueError, match=r"vectors must be 2-D"):
        ek.top_k(X, np.ones((2, 2, 3)), 1)
    with pytest.raises(ValueError, match=r"k must be a positive integer, got 0"):
        ek.top_k(X, X, 0)
    with pytest.raises(ValueError, match=r"k=5 is larger than the number of vectors \(4\)"):
        ek.top_k(X, X, 5)
    with pytest.raises(TypeError, match=r"k must be an integer"):
        ek.top_k(X, X, 2.0)
    with pytest.raises(ValueError, match=r"vectors must contain at least one vector"):
        ek.top_k(X, np.ones((0, 3)), 1)
    with pytest.raises(ValueError, match=r"queries contains NaN"):
        ek.top_k(np.full((1, 3), np.nan), X, 1)
    with pytest.raises(TypeError, match=r"X must be numeric"):
        ek.normalize(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        ek.normalize(np.ones((2, 2, 2)))
