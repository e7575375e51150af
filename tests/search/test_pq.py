"""embedkit.search.pq: product quantizer, ADC and SDC distances; checked by hand, by invariants
and against faiss's ProductQuantizer on the same training set."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data
from embedkit.search.index_base import NotTrainedError
from embedkit.search.pq import ProductQuantizer, adc_scores, adc_top_k


@pytest.fixture(scope="module")
def data():
    # K = 64 centroids (nbits=6) keeps k-means fast; 39 * 64 = 2,496 < 4,000 training points.
    return make_search_data(n=4000, nq=300, d=32, n_train=4000, seed=1)


@pytest.fixture(scope="module")
def pq(data):
    return ProductQuantizer(8, nbits=6, seed=0).fit(data.train)


# -- tiny hand-computed case --------------------------------------------------------------
def test_two_by_two_example_by_hand():
    # d=4, m=2, nbits=1: each half takes one of two values, so k-means finds them exactly.
    first = np.array([[0.0, 0.0], [10.0, 10.0]])
    second = np.array([[1.0, 1.0], [5.0, 5.0]])
    X = np.array([np.concatenate([a, b]) for a in first for b in second] * 3, dtype=np.float32)
    pq = ProductQuantizer(2, nbits=1, seed=0).fit(X)
    for j, truth in enumerate((first, second)):
        np.testing.assert_allclose(np.sort(pq.codebooks_[j], axis=0), truth)
    codes = pq.encode(X)
    assert codes.dtype == np.uint8 and codes.shape == (12, 2)
    np.testing.assert_allclose(pq.decode(codes), X)                 # exact: no error left
    assert pq.objectives_.sum() == pytest.approx(0.0, abs=1e-6)
    # ADC table of q = [1, 1, 1, 1]: |q_j - c|^2 for every centroid c of sub-space j.
    q = np.ones((1, 4), dtype=np.float32)
    table = pq.adc_table(q)[0]
    for j in range(2):
        expected = ((1.0 - pq.codebooks_[j]) ** 2).sum(axis=1)
        np.testing.assert_allclose(table[j], expected)
    assert sorted(table[0].tolist()) == [2.0, 162.0] and sorted(table[1].tolist()) == [0.0, 32.0]
    # distance to [10, 10, 5, 5] = 162 + 32, by two look-ups
    row = int(np.flatnonzero((X == [10, 10, 5, 5]).all(axis=1))[0])
    assert pq.adc_distances(q, codes[row:row + 1])[0, 0] == pytest.approx(194.0)


def test_compression_of_the_seed_example():
    # 1024 float32 dimensions -> m = 8 one-byte codes: 4096 bytes become 8.
    pq = ProductQuantizer(8)
    assert pq.code_size == 8 and pq.ksub == 256
    assert 1024 * 4 // pq.code_size == 512


# -- invariants ---------------------------------------------------------------------------
def test_reconstruction_error_is_the_sum_of_the_kmeans_objectives(data, pq):
    X = data.train  # n <= 256 * K: no sampling, so the objectives are measured on X itself
    err = float(((X - pq.decode(pq.encode(X))).astype(np.float64) ** 2).sum())
    assert err == pytest.approx(pq.objectives_.sum(), rel=1e-5)
    # and sub-space by sub-space
    x_hat = pq.decode(pq.encode(X))
    for j in range(pq.m):
        sl = slice(j * pq.dsub, (j + 1) * pq.dsub)
        sub_err = float(((X[:, sl] - x_hat[:, sl]).astype(np.float64) ** 2).sum())
        assert sub_err == pytest.approx(pq.objectives_[j], rel=1e-4)


def test_adc_equals_exact_distance_to_decoded_vectors(data, pq):
    Q, codes = data.queries[:50], pq.encode(data.database[:500])
    exact = ((Q[:, None, :] - pq.decode(codes)[None]) ** 2).sum(-1)
    np.testing.assert_allclose(pq.adc_distances(Q, codes), exact, rtol=1e-4, atol=1e-4)
    ip = Q @ pq.decode(codes).T
    np.testing.assert_allclose(pq.adc_distances(Q, codes, metric="ip"), ip, rtol=1e-4, atol=1e-4)


def test_sdc_equals_distance_between_decoded_vectors(data, pq):
    q_codes, codes = pq.encode(data.queries[:40]), pq.encode(data.database[:300])
    a, b = pq.decode(q_codes), pq.decode(codes)
    exact = ((a[:, None, :] - b[None]) ** 2).sum(-1)
    np.testing.assert_allclose(pq.sdc_distances(q_codes, codes), exact, rtol=1e-4, atol=1e-4)
    S = pq.sdc_table()
    assert S.shape == (pq.m, pq.ksub, pq.ksub)
    np.testing.assert_allclose(S, S.transpose(0, 2, 1))
    assert (np.diagonal(S, axis1=1, axis2=2) == 0).all()


def test_adc_top_k_matches_full_sort(data, pq):
    Q, codes = data.queries[:30], pq.encode(data.database)
    tables = pq.adc_table(Q)
    D, I = adc_top_k(tables, codes, 10, largest=False)
    full = adc_scores(tables, codes)
    np.testing.assert_allclose(D, np.sort(full, axis=1)[:, :10], rtol=1e-6)
    np.testing.assert_allclose(np.take_along_axis(full, I, axis=1), D, rtol=1e-6)


def test_decoding_a_codeword_is_a_fixed_point(data, pq):
    codes = pq.encode(data.database[:200])
    x_hat = pq.decode(codes)
    np.testing.assert_array_equal(pq.decode(pq.encode(x_hat)), x_hat)


def test_same_seed_same_codebooks_and_generators_accepted(data):
    a = ProductQuantizer(4, nbits=4, seed=3).fit(data.train)
    b = ProductQuantizer(4, nbits=4, seed=3).fit(data.train)
    np.testing.assert_array_equal(a.codebooks_, b.codebooks_)
    c = ProductQuantizer(4, nbits=4, seed=np.random.default_rng(3)).fit(data.train)
    assert c.codebooks_.shape == (4, 16, 8)


@pytest.mark.parametrize("nbits", [1, 4, 8])
def test_fewer_bits_give_smaller_codes_values(data, nbits):
    pq = ProductQuantizer(4, nbits=nbits, seed=0, n_iter=3).fit(data.train)
    codes = pq.encode(data.database[:100])
    assert codes.dtype == np.uint8 and codes.max() < 2 ** nbits
    assert pq.codebooks_.shape == (4, 2 ** nbits, 8)


def test_more_bits_and_more_subvectors_lower_the_error(data):
    X = data.train
    errors = {}
    for m, nbits in [(4, 4), (8, 4), (4, 6)]:
        pq = ProductQuantizer(m, nbits=nbits, seed=0).fit(X)
        errors[m, nbits] = pq.objectives_.sum()
    assert errors[8, 4] < errors[4, 4] and errors[4, 6] < errors[4, 4]


def test_empty_input_encodes_to_empty_codes(pq):
    codes = pq.encode(np.empty((0, 32), np.float32))
    assert codes.shape == (0, 8) and pq.decode(codes).shape == (0, 32)


def test_training_sample_is_capped(data):
    pq = ProductQuantizer(4, nbits=4, seed=0, max_points_per_centroid=10, n_iter=2).fit(data.train)
    assert pq.codebooks_.shape == (4, 16, 8)  # trained on 160 points, still 16 centroids


# -- against faiss on the same training set --------------------------------------------------
def test_quality_matches_faiss_product_quantizer(data):
    """Reconstruction MSE and recall@10 of ADC search, averaged over 3 seeds each side.

    Each library seeds k-means its own way, so single runs differ by the clustering's
    randomness (about +-0.01 recall here); the means over three seeds agree closely.
    """
    X, Q, T = data.database, data.queries, data.train
    gt = data.ground_truth(10)
    ours_mse, ours_rec, their_mse, their_rec = [], [], [], []
    for seed in range(3):
        pq = ProductQuantizer(8, nbits=6, seed=seed).fit(T)
        ours_mse.append(((T - pq.decode(pq.encode(T))) ** 2).sum(1).mean())
        _, I = adc_top_k(pq.adc_table(Q), pq.encode(X), 10, largest=False)
        ours_rec.append(ek.recall_at_k(I, gt, 10))

        ref = faiss.ProductQuantizer(32, 8, 6)
        ref.cp.seed = 1234 + seed
        ref.train(T)
        their_mse.append(((T - ref.decode(ref.compute_codes(T))) ** 2).sum(1).mean())
        index = faiss.IndexPQ(32, 8, 6)
        index.pq = ref
        index.is_trained = True
        index.add(X)
        their_rec.append(ek.recall_at_k(index.search(Q, 10)[1], gt, 10))
    assert np.mean(ours_mse) == pytest.approx(np.mean(their_mse), rel=0.02)
    assert abs(np.mean(ours_rec) - np.mean(their_rec)) <= 0.01


def test_codes_agree_with_faiss_on_shared_codebooks(data):
    # Load our codebooks into faiss: the same codes and reconstructions must come out.
    # (nbits=8: faiss packs smaller codes into bits, embedkit keeps one byte each.)
    pq = ProductQuantizer(8, nbits=8, seed=0, n_iter=3).fit(data.train)
    ref = faiss.ProductQuantizer(32, 8, 8)
    faiss.copy_array_to_vector(pq.codebooks_.ravel(), ref.centroids)
    X = data.database[:300]
    codes = pq.encode(X)
    np.testing.assert_array_equal(ref.compute_codes(X), codes)
    np.testing.assert_allclose(ref.decode(codes), pq.decode(codes), rtol=1e-6)


# -- persistence ----------------------------------------------------------------------------
def test_save_load_round_trip(pq, data, tmp_path):
    path = tmp_path / "pq.ekx"
    pq.save(path)
    back = ProductQuantizer.load(path)
    np.testing.assert_array_equal(back.codebooks_, pq.codebooks_)
    np.testing.assert_array_equal(back.encode(data.database[:50]), pq.encode(data.database[:50]))
    assert (back.m, back.nbits) == (pq.m, pq.nbits)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        ProductQuantizer.load(path)


def test_save_before_fit_fails(tmp_path):
    with pytest.raises(NotTrainedError, match="fit"):
        ProductQuantizer(4).save(tmp_path / "x")


# -- bad inputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(m=0), ValueError, "m must be >= 1"),
    (dict(m=2.5), TypeError, "m must be an integer"),
    (dict(m=4, nbits=0), ValueError, "nbits must be >= 1"),
    (dict(m=4, nbits=9), ValueError, "nbits must be <= 8"),
    (dict(m=4, seed=-1), ValueError, "seed"),
    (dict(m=4, seed="a"), TypeError, "seed"),
    (dict(m=4, n_iter=-1), ValueError, "n_iter"),
    (dict(m=4, max_points_per_centroid=0), ValueError, "max_points_per_centroid"),
])
def test_bad_constructor_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ProductQuantizer(**kwargs)


def test_bad_fit_inputs(data):
    with pytest.raises(ValueError, match="m=5 does not divide|which m=5 does not divide"):
        ProductQuantizer(5).fit(data.train)
    with pytest.raises(ValueError, match="fewer than the 2\\*\\*nbits=256"):
        ProductQuantizer(4).fit(data.train[:100])
    with pytest.raises(ValueError, match="x must be 2-D"):
        ProductQuantizer(4).fit(data.train[0])
    bad = data.train.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ProductQuantizer(4).fit(bad)
    with pytest.raises(ValueError, match="init must have shape"):
        ProductQuantizer(4, nbits=4).fit(data.train, init=np.zeros((4, 8, 8)))


def test_bad_codes_and_queries(pq, data):
    with pytest.raises(NotTrainedError, match="fit"):
        ProductQuantizer(4).encode(data.train)
    with pytest.raises(ValueError, match="x must have d=32"):
        pq.encode(data.train[:, :16])
    with pytest.raises(TypeError, match="codes must hold integer codes"):
        pq.decode(np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match=r"codes must have shape \(n, m=8\)"):
        pq.decode(np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="codes must hold values in 0 .. 2\\*\\*nbits - 1 = 63"):
        pq.decode(np.full((3, 8), 64, np.uint8))
    with pytest.raises(ValueError, match="codes must hold values in"):
        pq.decode(np.full((3, 8), 300, np.int64))       # would wrap around as uint8
    with pytest.raises(ValueError, match="codes must hold values in"):
        pq.decode(np.full((3, 8), -1, np.int64))
    np.testing.assert_array_equal(pq.decode(np.ones((2, 8), np.int64)),
                                  pq.decode(np.ones((2, 8), np.uint8)))
    with pytest.raises(ValueError, match="q_codes must have shape"):
        pq.sdc_distances(np.zeros((2, 3), np.uint8), np.zeros((2, 8), np.uint8))
    with pytest.raises(ValueError, match="metric must be one of"):
        pq.adc_table(data.queries, metric="cosine")
    with pytest.raises(ValueError, match="q must have d=32"):
        pq.adc_distances(data.queries[:, :8], np.zeros((2, 8), np.uint8))
