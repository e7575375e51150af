"""embedkit.search.binary_quantization: bits by hand, Hamming vs numpy/faiss, rescoring invariants."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=4000, nq=80, d=96, n_train=4000, seed=2)


# -- tier 1: hand-computed ----------------------------------------------------------
def test_sign_bits_packed_most_significant_first():
    x = np.array([[0.5, -1, 2, -3, 4, -5, 6, -7, 8, 9]], np.float32)
    bq = ek.BinaryQuantizer(threshold="zero").fit(x)
    codes = bq.encode(x)
    # bits 1 0 1 0 1 0 1 0 | 1 1 (+ 6 zero pad bits) -> 0b10101010 = 170, 0b11000000 = 192
    np.testing.assert_array_equal(codes, [[170, 192]])
    assert codes.dtype == np.uint8 and bq.code_size == 2


def test_mean_threshold_centres_each_dimension():
    x = np.array([[10, 1], [12, 3], [14, 5]], np.float32)  # means 12 and 3
    bq = ek.BinaryQuantizer().fit(x)
    np.testing.assert_allclose(bq.threshold_, [12, 3])
    bits = np.unpackbits(bq.encode(x), axis=1)[:, :2]
    np.testing.assert_array_equal(bits, [[0, 0], [0, 0], [1, 1]])  # only "> mean" is 1
    # With the zero threshold every bit would be 1: the codes would carry no information.
    assert np.unpackbits(ek.BinaryQuantizer("zero").fit(x).encode(x), axis=1)[:, :2].all()


def test_hamming_distances_by_hand():
    a = np.packbits(np.array([[1, 0, 1, 1, 0, 0, 1, 0]], np.uint8), axis=1)
    b = np.packbits(np.array([[1, 1, 1, 0, 0, 0, 1, 1], [1, 0, 1, 1, 0, 0, 1, 0]], np.uint8), axis=1)
    np.testing.assert_array_equal(ek.hamming_distances(a, b), [[3, 0]])


# -- tier 2: invariants ------------------------------------------------------------
def test_hamming_equals_counting_unpacked_bits(data):
    bq = ek.BinaryQuantizer().fit(data.train)
    a, b = bq.encode(data.queries), bq.encode(data.database[:300])
    bits_a, bits_b = np.unpackbits(a, axis=1), np.unpackbits(b, axis=1)
    expected = (bits_a[:, None, :] != bits_b[None, :, :]).sum(-1)
    np.testing.assert_array_equal(ek.hamming_distances(a, b), expected)
    assert ek.hamming(bits_a[0], bits_b[0]) == expected[0, 0]  # notebook 01's hamming


def test_decode_keeps_the_signs(data):
    bq = ek.BinaryQuantizer().fit(data.train)
    codes = bq.encode(data.database)
    x_hat = bq.decode(codes)
    np.testing.assert_array_equal(bq.encode(x_hat), codes)
    assert x_hat.shape == data.database.shape and x_hat.dtype == np.float32
    # The 1-bit reconstruction is better than predicting the mean (threshold) alone.
    assert ((x_hat - data.database) ** 2).mean() < ((bq.threshold_ - data.database) ** 2).mean()


def test_full_rescoring_is_exact_search(data):
    index = ek.BinaryIndex(data.d, store_vectors=True)
    index.train(data.train)
    index.add(data.database)
    index.rescore = 400  # 400 * 10 candidates = the whole database
    D, I = index.search(data.queries, 10)
    flat = ek.FlatIndex(data.d)
    flat.add(data.database)
    Df, If = flat.search(data.queries, 10)
    np.testing.assert_array_equal(I, If)
    np.testing.assert_allclose(D, Df, rtol=1e-4, atol=1e-3)


def test_rescoring_improves_recall(data):
    gt = data.ground_truth(10)
    index = ek.BinaryIndex(data.d, store_vectors=True)
    index.train(data.train)
    index.add(data.database)
    recalls = []
    for r in (0, 1, 4, 16):
        index.rescore = r
        recalls.append(ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10))
    assert recalls[1] >= recalls[0] - 0.02  # r=1 only re-orders the same 10 ids
    assert recalls[0] < recalls[2] < recalls[3]


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_rescoring_under_similarity_metrics(metric, data):
    index = ek.BinaryIndex(data.d, metric=metric, store_vectors=True)
    index.train(data.train)
    index.add(data.database)
    index.rescore = 400
    D, I = index.search(data.queries, 5)
    flat = ek.FlatIndex(data.d, metric=metric)
    flat.add(data.database)
    Df, If = flat.search(data.queries, 5)
    np.testing.assert_array_equal(I, If)
    np.testing.assert_allclose(D, Df, rtol=1e-4, atol=1e-4)


# -- tier 3: faiss IndexBinaryFlat on the same codes -------------------------------------
def test_hamming_search_matches_faiss(data):
    index = ek.BinaryIndex(data.d)
    index.train(data.train)
    index.add(data.database)
    D, I = index.search(data.queries, 10)
    ref = faiss.IndexBinaryFlat(data.d)
    ref.add(index.codes)
    Df, If = ref.search(index.bq.encode(data.queries), 10)
    np.testing.assert_array_equal(D, Df)  # distances are integers: identical
    # Ids agree except among equal distances (Hamming ties are common; order is arbitrary).
    strictly_inside = D < D[:, -1:]
    np.testing.assert_array_equal(np.sort(np.where(strictly_inside, I, -1), 1),
                                  np.sort(np.where(strictly_inside, If, -1), 1))


# -- bad inputs ----------------------------------------------------------------------
def test_bad_inputs(data):
    with pytest.raises(ValueError, match="threshold must be one of"):
        ek.BinaryQuantizer(threshold="median")
    bq = ek.BinaryQuantizer()
    with pytest.raises(ValueError, match="not fitted"):
        bq.encode(data.train)
    bq.fit(data.train)
    with pytest.raises(ValueError, match="x must have d=96 columns"):
        bq.encode(data.train[:, :8])
    with pytest.raises(TypeError, match="codes must be uint8"):
        bq.decode(np.zeros((2, 12), np.int32))
    with pytest.raises(ValueError, match=r"codes must have shape \(n, 12\)"):
        bq.decode(np.zeros((2, 3), np.uint8))
    with pytest.raises(ValueError, match="same number of bytes"):
        ek.hamming_distances(np.zeros((1, 2), np.uint8), np.zeros((1, 3), np.uint8))
    index = ek.BinaryIndex(data.d)
    with pytest.raises(ValueError, match="BinaryIndex is not trained"):
        index.search(data.queries, 1)
    with pytest.raises(ValueError, match="store_vectors=True"):
        index.rescore = 4
    with pytest.raises(ValueError, match="rescore must be >= 0"):
        index.rescore = -1
    index.train(data.train)
    index.add(data.database[:5])
    with pytest.raises(ValueError, match="k=6 is larger"):
        index.search(data.queries, 6)
    bad = data.queries[:2].copy()
    bad[1, 1] = np.inf
    with pytest.raises(ValueError, match="q contains NaN or infinity"):
        index.search(bad, 1)
