"""embedkit.search.flat.FlatIndex: hand-computed cases, invariants, and faiss IndexFlat as reference."""
import faiss
import numpy as np
import pytest

import embedkit as ek


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 24), dtype=np.float32)
    Q = rng.standard_normal((50, 24), dtype=np.float32)
    return X, Q


# -- tier 1: hand-computed ----------------------------------------------------------
POINTS = np.array([[0, 0], [3, 4], [1, 0], [0, 2]], dtype=np.float32)


def test_l2_returns_squared_distances_ascending():
    index = ek.FlatIndex(2, metric="l2")
    index.add(POINTS)
    D, I = index.search([[0, 0]], 4)
    np.testing.assert_array_equal(I, [[0, 2, 3, 1]])
    np.testing.assert_allclose(D, [[0, 1, 4, 25]])  # squared, as faiss: |(3,4)|^2 = 25


def test_ip_and_cosine_descending():
    index = ek.FlatIndex(2, metric="ip")
    index.add(POINTS)
    D, I = index.search([[1, 1]], 3)
    np.testing.assert_array_equal(I, [[1, 3, 2]])
    np.testing.assert_allclose(D, [[7, 2, 1]])
    index = ek.FlatIndex(2, metric="cosine")
    index.add(POINTS)
    D, I = index.search([[2, 0]], 4)
    # (1, 0) is parallel (cos 1); (3, 4) has cos 0.6; (0, 2) cos 0; the zero vector cos 0.
    np.testing.assert_array_equal(I[0, :2], [2, 1])
    np.testing.assert_allclose(D[0], [1.0, 0.6, 0.0, 0.0], atol=1e-6)


def test_ties_come_out_in_id_order():
    index = ek.FlatIndex(1)
    index.add([[1.0], [-1.0], [1.0], [-1.0]])
    _, I = index.search([[0.0]], 4)
    np.testing.assert_array_equal(I, [[0, 1, 2, 3]])


# -- tier 2: invariants ------------------------------------------------------------
def test_exact_search_finds_each_vector_itself(data):
    X, _ = data
    index = ek.FlatIndex(X.shape[1])
    index.add(X)
    D, I = index.search(X[:100], 1)
    np.testing.assert_array_equal(I[:, 0], np.arange(100))
    assert np.all(D < 1e-3)
    assert index.ntotal == len(X) and index.code_size == 4 * X.shape[1]


def test_adding_in_pieces_equals_adding_at_once(data):
    X, Q = data
    one, pieces = ek.FlatIndex(X.shape[1]), ek.FlatIndex(X.shape[1])
    one.add(X)
    for part in np.array_split(X, 3):
        pieces.add(part)
    for a, b in zip(one.search(Q, 5), pieces.search(Q, 5)):
        np.testing.assert_array_equal(a, b)


def test_k_equal_to_ntotal_returns_everything_sorted(data):
    X, Q = data
    index = ek.FlatIndex(X.shape[1])
    index.add(X[:40])
    D, I = index.search(Q[:3], 40)
    assert sorted(I[0]) == list(range(40))
    assert np.all(np.diff(D, axis=1) >= 0) and (I >= 0).all()


def test_agrees_with_top_k(data):
    X, Q = data
    index = ek.FlatIndex(X.shape[1], metric="cosine")
    index.add(X)
    D, I = index.search(Q, 10)
    S, J = ek.top_k(Q, X, 10, metric="cosine")
    np.testing.assert_array_equal(I, J)
    np.testing.assert_allclose(D, S, atol=1e-5)


def test_dtypes_and_shapes(data):
    X, Q = data
    index = ek.FlatIndex(X.shape[1])
    index.add(X.astype(np.float64))  # converted to float32 once
    D, I = index.search(Q.tolist(), 3)
    assert D.dtype == np.float32 and I.dtype == np.int64
    assert D.shape == I.shape == (len(Q), 3)
    assert index.vectors.dtype == np.float32 and not index.vectors.flags.writeable


# -- tier 3: faiss IndexFlat on the same data ---------------------------------------
@pytest.mark.parametrize("metric", ["l2", "ip", "cosine"])
def test_matches_faiss_index_flat(metric, data):
    X, Q = data
    d = X.shape[1]
    ours = ek.FlatIndex(d, metric=metric)
    ours.add(X)
    if metric == "cosine":
        X, Q = ek.normalize(X), ek.normalize(Q)
    theirs = faiss.IndexFlatL2(d) if metric == "l2" else faiss.IndexFlatIP(d)
    theirs.add(X)
    D, I = ours.search(Q, 10)
    Df, If = theirs.search(Q, 10)
    np.testing.assert_array_equal(I, If)
    np.testing.assert_allclose(D, Df, rtol=1e-4, atol=1e-4)


# -- bad inputs ----------------------------------------------------------------------
def test_bad_inputs_give_clear_errors(data):
    X, Q = data
    index = ek.FlatIndex(X.shape[1])
    with pytest.raises(ValueError, match="empty: call index.add"):
        index.search(Q, 1)
    with pytest.raises(ValueError, match="x must have d=24 columns"):
        index.add(X[:, :10])
    index.add(X[:100])
    with pytest.raises(ValueError, match="q must have d=24 columns"):
        index.search(Q[:, :5], 1)
    with pytest.raises(ValueError, match=r"q\[None, :\]"):
        index.search(Q[0], 1)
    with pytest.raises(ValueError, match="k=101 is larger than the number of vectors in the index"):
        index.search(Q, 101)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        index.search(Q, 0)
    with pytest.raises(TypeError, match="k must be an integer"):
        index.search(Q, 2.5)
    bad = Q.copy()
    bad[3, 7] = np.nan
    with pytest.raises(ValueError, match=r"q contains NaN or infinity \(first at index \(3, 7\)\)"):
        index.search(bad, 1)
    bad = X[:5].copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="x contains NaN"):
        index.add(bad)
    with pytest.raises(TypeError, match="q must be a numeric array"):
        index.search("query", 1)
