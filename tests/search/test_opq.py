"""embedkit.search.opq: the learned rotation is orthogonal, never loses to plain PQ, and compares
with faiss's OPQMatrix + ProductQuantizer on the same anisotropic data."""
import faiss
import numpy as np
import pytest

from embedkit import OPQ, ProductQuantizer
from embedkit.search.index_base import NotTrainedError

D_ = 32


def _anisotropic(n, seed):
    """Gaussian data whose variance decays fast, seen through a random rotation: the
    big directions are smeared over all PQ blocks, which is what OPQ repairs."""
    rng = np.random.default_rng(seed)
    scales = (np.arange(1, D_ + 1) ** -1.0) * 10
    q, _ = np.linalg.qr(np.random.default_rng(99).standard_normal((D_, D_)))
    return ((rng.standard_normal((n, D_)) * scales) @ q).astype(np.float32)


@pytest.fixture(scope="module")
def train():
    return _anisotropic(3000, 0)


@pytest.fixture(scope="module")
def opq(train):
    return OPQ(8, nbits=5, n_iter=5, seed=0).fit(train)


def _mse(x, x_hat):
    return float(((x - x_hat).astype(np.float64) ** 2).sum(1).mean())


def test_rotation_is_orthogonal_and_preserves_distances(opq, train):
    R = opq.rotation_
    assert R.shape == (D_, D_) and R.dtype == np.float32
    np.testing.assert_allclose(R @ R.T, np.eye(D_), atol=1e-5)
    x = train[:100]
    y = opq.transform(x)
    np.testing.assert_allclose(np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1), rtol=1e-5)
    np.testing.assert_allclose(opq.inverse_transform(y), x, atol=1e-4)


def test_error_history_never_increases_and_starts_at_plain_pq(opq, train):
    h = np.array(opq.error_history_)
    assert len(h) == opq.n_iter + 1
    assert (np.diff(h) <= 1e-6 * h[0]).all()
    pq = ProductQuantizer(8, nbits=5, seed=0, n_iter=opq.pq_iter_first).fit(train)
    assert h[0] == pytest.approx(pq.objectives_.sum() / train.shape[0], rel=1e-6)
    # the last entry is the error of encode/decode on the training data
    assert h[-1] == pytest.approx(_mse(train, opq.decode(opq.encode(train))), rel=1e-4)


def test_opq_never_worse_than_pq_and_clearly_better_on_anisotropic_data(opq, train):
    pq = ProductQuantizer(8, nbits=5, seed=0, n_iter=opq.pq_iter_first).fit(train)
    held_out = _anisotropic(2000, 1)
    for x in (train, held_out):
        e_opq = _mse(x, opq.decode(opq.encode(x)))
        e_pq = _mse(x, pq.decode(pq.encode(x)))
        assert e_opq < 0.9 * e_pq


def test_opq_on_isotropic_data_is_not_worse(train):
    x = np.random.default_rng(5).standard_normal((2000, 16)).astype(np.float32)
    opq = OPQ(4, nbits=4, n_iter=3, seed=1).fit(x)
    pq = ProductQuantizer(4, nbits=4, seed=1, n_iter=opq.pq_iter_first).fit(x)
    assert _mse(x, opq.decode(opq.encode(x))) <= _mse(x, pq.decode(pq.encode(x))) * (1 + 1e-6)


def test_comparable_to_faiss_opq_matrix(opq, train):
    """Same data, m, nbits and number of alternating rounds; faiss's PQ inside OPQ starts
    from its own random seed, so compare errors with a tolerance."""
    ref = faiss.OPQMatrix(D_, 8)
    ref.niter = opq.n_iter
    ref.niter_pq_0 = opq.pq_iter_first
    ref.train(train)
    rotated = ref.apply(train)
    pq = faiss.ProductQuantizer(D_, 8, 5)
    pq.train(rotated)
    faiss_mse = _mse(rotated, pq.decode(pq.compute_codes(rotated)))
    ours = opq.error_history_[-1]
    assert ours <= faiss_mse * 1.05


def test_encode_decode_shapes_and_codes(opq, train):
    codes = opq.encode(train[:10])
    assert codes.shape == (10, 8) and codes.dtype == np.uint8 and codes.max() < 32
    assert opq.decode(codes).shape == (10, D_)
    assert opq.code_size == 8


def test_subsampling_and_seed(train):
    a = OPQ(4, nbits=4, n_iter=2, max_train_points=500, seed=3).fit(train)
    b = OPQ(4, nbits=4, n_iter=2, max_train_points=500, seed=3).fit(train)
    np.testing.assert_array_equal(a.rotation_, b.rotation_)


def test_save_load_round_trip(opq, train, tmp_path):
    path = tmp_path / "opq.ekx"
    opq.save(path)
    back = OPQ.load(path)
    np.testing.assert_array_equal(back.rotation_, opq.rotation_)
    np.testing.assert_array_equal(back.encode(train[:50]), opq.encode(train[:50]))
    assert back.error_history_ == opq.error_history_
    path.write_bytes(path.read_bytes()[:150])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        OPQ.load(path)


def test_bad_inputs(train):
    with pytest.raises(ValueError, match="m must be >= 1"):
        OPQ(0)
    with pytest.raises(ValueError, match="nbits must be <= 8"):
        OPQ(4, nbits=12)
    with pytest.raises(ValueError, match="n_iter must be >= 0"):
        OPQ(4, n_iter=-1)
    with pytest.raises(ValueError, match="max_train_points must be >= 1"):
        OPQ(4, max_train_points=0)
    with pytest.raises(ValueError, match="which m=5 does not divide"):
        OPQ(5).fit(train)
    with pytest.raises(NotTrainedError, match="fit"):
        OPQ(4).transform(train)
    with pytest.raises(NotTrainedError, match="fit"):
        OPQ(4).save("unused")
    fitted = OPQ(4, nbits=2, n_iter=1).fit(train)
    with pytest.raises(ValueError, match="x must have d=32"):
        fitted.encode(train[:, :8])
    with pytest.raises(ValueError, match="codes must hold values in 0 .. 2\\*\\*nbits - 1 = 3"):
        fitted.decode(np.full((2, 4), 4, np.uint8))
