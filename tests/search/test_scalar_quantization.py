"""embedkit.search.scalar_quantization: hand cases, the step/2 error bound, faiss as reference."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=5000, nq=100, d=20, n_train=5000, seed=1)


# -- tier 1: hand-computed ----------------------------------------------------------
def test_8bit_codes_by_hand():
    x = np.array([[0.0, 10.0], [5.0, 20.0], [10.0, 30.0]], np.float32)
    sq = ek.ScalarQuantizer(bits=8).fit(x)
    np.testing.assert_allclose(sq.vmin_, [0, 10])
    np.testing.assert_allclose(sq.step_, [10 / 255, 20 / 255])
    codes = sq.encode(x)
    # 5 / (10/255) = 127.5 rounds to 128 (round half to even); the ends map to 0 and 255.
    np.testing.assert_array_equal(codes, [[0, 0], [128, 128], [255, 255]])
    np.testing.assert_allclose(sq.decode(codes), [[0, 10], [128 * 10 / 255, 10 + 128 * 20 / 255], [10, 30]],
                               rtol=1e-6)


def test_4bit_packs_two_codes_per_byte():
    x = np.array([[0, 0, 0], [15, 15, 15], [3, 10, 15]], np.float32)  # step 1: codes = values
    sq = ek.ScalarQuantizer(bits=4).fit(x)
    codes = sq.encode(x)
    assert codes.shape == (3, 2) and sq.code_size == 2  # ceil(3 / 2)
    # Row [3, 10, 15]: byte 0 = 3 | 10 << 4 = 163, byte 1 = 15 (the odd last code, padded).
    np.testing.assert_array_equal(codes[2], [3 | (10 << 4), 15])
    np.testing.assert_array_equal(sq.decode(codes), x)


def test_constant_dimension_and_clipping():
    x = np.array([[1.0, 0.0], [1.0, 2.0]], np.float32)
    sq = ek.ScalarQuantizer().fit(x)
    assert sq.step_[0] == 0
    np.testing.assert_array_equal(sq.decode(sq.encode(x))[:, 0], [1.0, 1.0])
    # Outside the training range: clipped to the nearest end.
    np.testing.assert_allclose(sq.decode(sq.encode([[1.0, -5.0], [1.0, 9.0]]))[:, 1], [0.0, 2.0])


def test_clip_quantile_ignores_outliers():
    x = np.concatenate([np.linspace(0, 1, 999), [1000.0]]).astype(np.float32)[:, None]
    plain = ek.ScalarQuantizer().fit(x)
    robust = ek.ScalarQuantizer(clip_quantile=0.01).fit(x)
    assert plain.step_[0] == pytest.approx(1000 / 255)  # one outlier sets the whole range
    np.testing.assert_allclose(robust.vmin_, np.quantile(x, 0.01), rtol=1e-6)
    assert robust.step_[0] == pytest.approx((np.quantile(x, 0.99) - np.quantile(x, 0.01)) / 255, rel=1e-5)
    inliers = x[:999]
    err_plain = np.abs(plain.decode(plain.encode(inliers)) - inliers).mean()
    err_robust = np.abs(robust.decode(robust.encode(inliers)) - inliers).mean()
    assert err_robust < err_plain / 50
    assert robust.decode(robust.encode([[1000.0]]))[0, 0] == pytest.approx(np.quantile(x, 0.99), rel=1e-3)


# -- tier 2: invariants ------------------------------------------------------------
@pytest.mark.parametrize("bits", [8, 4])
def test_decode_error_bounded_by_half_a_step(bits, data):
    sq = ek.ScalarQuantizer(bits).fit(data.train)
    x_hat = sq.decode(sq.encode(data.train))
    err = np.abs(x_hat - data.train)
    assert np.all(err <= sq.step_ / 2 * (1 + 1e-4) + 1e-6)
    assert err.max() > 0.4 * sq.step_.min()  # the bound is tight, not vacuous
    assert x_hat.dtype == np.float32 and x_hat.shape == data.train.shape


def test_4bit_is_8x_and_8bit_is_4x_smaller(data):
    for bits, ratio in ((8, 4), (4, 8)):
        sq = ek.ScalarQuantizer(bits).fit(data.train)
        codes = sq.encode(data.database)
        assert codes.dtype == np.uint8
        assert data.database.nbytes / codes.nbytes == ratio


def test_sq_index_equals_flat_search_over_decoded_vectors(data):
    for metric in ("l2", "ip", "cosine"):
        index = ek.SQIndex(data.d, bits=8, metric=metric)
        index.train(data.train)
        index.add(data.database)
        x_hat = index.sq.decode(index.sq.encode(ek.normalize(data.database) if metric == "cosine" else data.database))
        flat = ek.FlatIndex(data.d, metric=metric)
        flat.add(x_hat)
        D, I = index.search(data.queries, 10)
        Df, If = flat.search(data.queries, 10)
        assert (I == If).mean() > 0.99  # only float-rounding near-ties may swap
        np.testing.assert_allclose(D, Df, rtol=1e-3, atol=1e-3)


# -- tier 3: faiss --------------------------------------------------------------------
@pytest.mark.parametrize("bits", [8, 4])
def test_reconstruction_error_and_recall_match_faiss(bits, data):
    qtype = faiss.ScalarQuantizer.QT_8bit if bits == 8 else faiss.ScalarQuantizer.QT_4bit
    ref = faiss.ScalarQuantizer(data.d, qtype)
    ref.train(data.train)
    ref_hat = ref.decode(ref.compute_codes(data.database))
    sq = ek.ScalarQuantizer(bits).fit(data.train)
    ours_hat = sq.decode(sq.encode(data.database))
    mse_ours = ((ours_hat - data.database) ** 2).mean()
    mse_ref = ((ref_hat - data.database) ** 2).mean()
    assert mse_ours == pytest.approx(mse_ref, rel=0.1)

    gt = data.ground_truth(10)
    ours = ek.SQIndex(data.d, bits=bits)
    ours.train(data.train)
    ours.add(data.database)
    theirs = faiss.IndexScalarQuantizer(data.d, qtype)
    theirs.train(data.train)
    theirs.add(data.database)
    r_ours = ek.recall_at_k(ours.search(data.queries, 10)[1], gt, 10)
    r_theirs = ek.recall_at_k(theirs.search(data.queries, 10)[1], gt, 10)
    assert abs(r_ours - r_theirs) <= 0.02


# -- bad inputs ----------------------------------------------------------------------
def test_bad_inputs(data):
    with pytest.raises(ValueError, match="bits must be 8 or 4, got 6"):
        ek.ScalarQuantizer(bits=6)
    with pytest.raises(ValueError, match="clip_quantile must be <= 0.49"):
        ek.ScalarQuantizer(clip_quantile=0.5)
    sq = ek.ScalarQuantizer()
    with pytest.raises(ValueError, match="not fitted: call fit"):
        sq.encode(data.train)
    with pytest.raises(ValueError, match="not fitted"):
        sq.decode(np.zeros((2, 20), np.uint8))
    sq.fit(data.train)
    with pytest.raises(ValueError, match="x must have d=20 columns"):
        sq.encode(data.train[:, :3])
    with pytest.raises(TypeError, match="codes must be uint8"):
        sq.decode(np.zeros((2, 20), np.int64))
    with pytest.raises(ValueError, match=r"codes must have shape \(n, 20\)"):
        sq.decode(np.zeros((2, 10), np.uint8))
    bad = data.train[:10].copy()
    bad[2, 2] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        ek.ScalarQuantizer().fit(bad)
    index = ek.SQIndex(data.d)
    with pytest.raises(ValueError, match="SQIndex is not trained"):
        index.add(data.database)
    index.train(data.train)
    index.add(data.database[:10])
    with pytest.raises(ValueError, match="k=11 is larger"):
        index.search(data.queries, 11)
    with pytest.raises(ValueError, match="already holds codes"):
        index.train(data.train)
