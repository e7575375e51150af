"""embedkit.search.pq_index: PQIndex and IVFPQIndex against exact distances to the decoded
vectors, against faiss IndexPQ / IndexIVFPQ on the same data, save/load and bad inputs."""
import faiss
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data
from embedkit.search.index_base import Index, NotTrainedError

D_ = 32
NBITS = 6   # K = 64: k-means stays fast; same m/nbits on both sides of every comparison


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=5000, nq=300, d=D_, n_train=4000, seed=2)


@pytest.fixture(scope="module")
def pq_index(data):
    index = ek.PQIndex(D_, 8, nbits=NBITS)
    index.train(data.train)
    index.add(data.database)
    return index


@pytest.fixture(scope="module")
def ivfpq_index(data):
    index = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS)
    index.train(data.train)
    index.add(data.database)
    return index


def _ivfpq_reconstruction(index, ids):
    """Decoded vectors ``c_list + r_hat`` of the given ids, from the index's storage."""
    row_of_id = np.argsort(index._ids)
    rows = row_of_id[ids]
    lists = np.searchsorted(index._offsets, rows, side="right") - 1
    r_hat = index.pq.decode(index._codes[rows.ravel()]).reshape(*ids.shape, -1)
    return r_hat + (index._centroids[lists] if index.by_residual else 0.0)


# -- PQIndex --------------------------------------------------------------------------------
def test_pq_index_distances_are_exact_distances_to_decoded_vectors(pq_index, data):
    Q = data.queries[:40]
    D, I = pq_index.search(Q, 10)
    assert D.dtype == np.float32 and I.dtype == np.int64 and (I >= 0).all()
    x_hat = pq_index.pq.decode(pq_index.codes[I.ravel()]).reshape(40, 10, D_)
    np.testing.assert_allclose(D, ((Q[:, None, :] - x_hat) ** 2).sum(-1), rtol=1e-4, atol=1e-4)
    assert (np.diff(D, axis=1) >= 0).all()
    # the winners are the true best by ADC: compare with a full scan
    full = pq_index.pq.adc_distances(Q, pq_index.codes)
    np.testing.assert_allclose(D, np.sort(full, axis=1)[:, :10], rtol=1e-5, atol=1e-5)


def test_pq_index_recall_matches_faiss_index_pq(data):
    """Same data, same m/nbits, same training set; mean over 3 seeds per library, because
    a single run's recall moves by about +-0.01 with the k-means seed."""
    gt = data.ground_truth(10)
    ours, theirs = [], []
    for seed in range(3):
        index = ek.PQIndex(D_, 8, nbits=NBITS, seed=seed)
        index.train(data.train)
        index.add(data.database)
        ours.append(ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10))
        ref = faiss.IndexPQ(D_, 8, NBITS)
        ref.pq.cp.seed = 1234 + seed
        ref.train(data.train)
        ref.add(data.database)
        theirs.append(ek.recall_at_k(ref.search(data.queries, 10)[1], gt, 10))
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.01


def test_sdc_is_exact_between_decoded_vectors_and_recalls_less(pq_index, data):
    gt = data.ground_truth(10)
    _, I_adc = pq_index.search(data.queries, 10)
    pq_index.search_type = "sdc"
    try:
        D, I = pq_index.search(data.queries, 10)
    finally:
        pq_index.search_type = "adc"
    q_hat = pq_index.pq.decode(pq_index.pq.encode(data.queries))
    x_hat = pq_index.pq.decode(pq_index.codes[I.ravel()]).reshape(*I.shape, D_)
    np.testing.assert_allclose(D, ((q_hat[:, None, :] - x_hat) ** 2).sum(-1), rtol=1e-4, atol=1e-4)
    assert ek.recall_at_k(I, gt, 10) < ek.recall_at_k(I_adc, gt, 10)


def test_rerank_returns_exact_distances_and_raises_recall(pq_index, data):
    gt = data.ground_truth(10)
    index = ek.PQIndex(D_, 8, nbits=NBITS, rerank=True, k_factor=8)
    index.train(data.train)
    index.add(data.database)
    D, I = index.search(data.queries, 10)
    exact = ((data.queries[:, None, :] - data.database[I]) ** 2).sum(-1)
    np.testing.assert_allclose(D, exact, rtol=1e-4, atol=1e-4)
    plain = ek.recall_at_k(pq_index.search(data.queries, 10)[1], gt, 10)
    assert ek.recall_at_k(I, gt, 10) > plain + 0.1
    assert index.code_size == 8 + 4 * D_
    index.k_factor = 1   # re-rank only the 10 ADC winners: same set as plain PQ
    _, I1 = index.search(data.queries[:20], 10)
    _, I0 = pq_index.search(data.queries[:20], 10)
    assert (np.sort(I1, 1) == np.sort(I0, 1)).mean() > 0.99


@pytest.mark.parametrize("metric", ["ip", "cosine"])
def test_inner_product_metrics(data, metric):
    index = ek.PQIndex(D_, 8, nbits=NBITS, metric=metric, n_iter=5)
    index.train(data.train)
    index.add(data.database[:1000])
    Q = data.queries[:20]
    if metric == "cosine":
        Q = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    D, I = index.search(Q, 5)
    x_hat = index.pq.decode(index.codes[I.ravel()]).reshape(20, 5, D_)
    np.testing.assert_allclose(D, np.einsum("qd,qkd->qk", Q, x_hat), rtol=1e-4, atol=1e-4)
    assert (np.diff(D, axis=1) <= 0).all()


def test_opq_index_equals_rotated_pq(data):
    index = ek.PQIndex(D_, 8, nbits=NBITS, opq=True, opq_iter=3, n_iter=5)
    index.train(data.train)
    index.add(data.database[:1000])
    R = index.opq.rotation_
    np.testing.assert_allclose(R @ R.T, np.eye(D_), atol=1e-5)
    D, I = index.search(data.queries[:20], 5)
    x_hat = index.opq.decode(index.codes[I.ravel()]).reshape(20, 5, D_)   # original space
    np.testing.assert_allclose(D, ((data.queries[:20, None] - x_hat) ** 2).sum(-1), rtol=1e-3, atol=1e-3)


# -- IVFPQIndex -----------------------------------------------------------------------------
def test_ivfpq_distances_are_exact_distances_to_reconstructions(ivfpq_index, data):
    ivfpq_index.nprobe = 4
    Q = data.queries[:30]
    D, I = ivfpq_index.search(Q, 10)
    assert (I >= 0).all() and (np.diff(D, axis=1) >= 0).all()
    x_hat = _ivfpq_reconstruction(ivfpq_index, I)
    np.testing.assert_allclose(D, ((Q[:, None, :] - x_hat) ** 2).sum(-1), rtol=1e-4, atol=1e-3)


def test_ivfpq_at_full_probe_is_at_least_as_good_as_pq(ivfpq_index, pq_index, data):
    gt = data.ground_truth(10)
    ivfpq_index.nprobe = ivfpq_index.nlist
    rec_ivf = ek.recall_at_k(ivfpq_index.search(data.queries, 10)[1], gt, 10)
    rec_pq = ek.recall_at_k(pq_index.search(data.queries, 10)[1], gt, 10)
    # Residuals are smaller than the vectors, so the same codebook size fits them better.
    assert rec_ivf >= rec_pq - 0.01
    recalls = []
    for nprobe in (1, 2, 4, 16):
        ivfpq_index.nprobe = nprobe
        recalls.append(ek.recall_at_k(ivfpq_index.search(data.queries, 10)[1], gt, 10))
    assert recalls == sorted(recalls) and recalls[-1] == pytest.approx(rec_ivf)


def test_ivfpq_recall_matches_faiss_index_ivfpq(data):
    """Mean over 2 seeds per library at nprobe 1, 4 and 16 (each side trains its own
    coarse k-means and codebooks, hence the averaging)."""
    gt = data.ground_truth(10)
    ours, theirs = {1: [], 4: [], 16: []}, {1: [], 4: [], 16: []}
    for seed in range(2):
        index = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS, seed=seed)
        index.train(data.train)
        index.add(data.database)
        ref = faiss.IndexIVFPQ(faiss.IndexFlatL2(D_), D_, 16, 8, NBITS)
        ref.cp.seed = 1234 + seed
        ref.pq.cp.seed = 1234 + seed
        ref.train(data.train)
        ref.add(data.database)
        for nprobe in ours:
            index.nprobe = ref.nprobe = nprobe
            ours[nprobe].append(ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10))
            theirs[nprobe].append(ek.recall_at_k(ref.search(data.queries, 10)[1], gt, 10))
    for nprobe in ours:
        assert abs(np.mean(ours[nprobe]) - np.mean(theirs[nprobe])) <= 0.02, nprobe


def test_ivfpq_pads_with_minus_one_when_lists_are_short(data):
    index = ek.IVFPQIndex(D_, 64, 4, nbits=4, n_iter=3, coarse_iter=3)
    index.train(data.train)
    index.add(data.database[:200])            # about 3 vectors per list
    D, I = index.search(data.queries[:10], 50)  # one probed list cannot hold 50
    assert (I == -1).any() and np.isinf(D[I == -1]).all()
    assert ((I >= 0) | (I == -1)).all()


def test_ivfpq_without_residuals_and_with_inner_product(data):
    gt = data.ground_truth(10)
    for kwargs in (dict(by_residual=False), dict(metric="ip")):
        index = ek.IVFPQIndex(D_, 8, 8, nbits=NBITS, n_iter=5, **kwargs)
        index.train(data.train)
        index.add(data.database)
        index.nprobe = 8
        D, I = index.search(data.queries[:20], 10)
        x_hat = _ivfpq_reconstruction(index, I)
        Q = data.queries[:20]
        if index.metric == "ip":
            np.testing.assert_allclose(D, np.einsum("qd,qkd->qk", Q, x_hat), rtol=1e-4, atol=1e-3)
        else:
            np.testing.assert_allclose(D, ((Q[:, None] - x_hat) ** 2).sum(-1), rtol=1e-4, atol=1e-3)
            assert ek.recall_at_k(index.search(data.queries, 10)[1], gt, 10) > 0.2


def test_ivfpq_rerank_gives_exact_distances(data):
    index = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS, rerank=True, k_factor=4, n_iter=5)
    index.train(data.train)
    index.add(data.database)
    index.nprobe = 4
    D, I = index.search(data.queries, 10)
    exact = ((data.queries[:, None, :] - data.database[I]) ** 2).sum(-1)
    np.testing.assert_allclose(D, exact, rtol=1e-4, atol=1e-4)


def test_adding_in_two_batches_equals_one(data):
    a = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS, n_iter=5)
    a.train(data.train)
    b = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS, n_iter=5)
    b.train(data.train)
    a.add(data.database)
    b.add(data.database[:1234])
    b.add(data.database[1234:])
    a.nprobe = b.nprobe = 4
    Da, Ia = a.search(data.queries[:50], 10)
    Db, Ib = b.search(data.queries[:50], 10)
    np.testing.assert_array_equal(Ia, Ib)
    np.testing.assert_array_equal(Da, Db)


# -- persistence ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["pq", "pq-opq-rerank-sdc", "ivfpq", "ivfpq-rerank", "untrained"])
def test_save_load_round_trip_is_exact(kind, data, tmp_path):
    if kind == "untrained":
        index = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS)
    elif kind.startswith("pq"):
        extra = kind != "pq"
        index = ek.PQIndex(D_, 8, nbits=NBITS, opq=extra, rerank=extra, opq_iter=2, n_iter=5)
        index.train(data.train)
        index.add(data.database[:800])
        if extra:
            index.search_type = "sdc"
            index.k_factor = 3
    else:
        index = ek.IVFPQIndex(D_, 16, 8, nbits=NBITS, rerank=kind.endswith("rerank"), n_iter=5)
        index.train(data.train)
        index.add(data.database[:800])
        index.nprobe = 3
    path = tmp_path / "index.ekx"
    index.save(path)
    back = Index.load(path)
    assert type(back) is type(index) and repr(back) == repr(index)
    if kind == "untrained":
        assert not back.is_trained
        return
    D0, I0 = index.search(data.queries[:30], 5)
    D1, I1 = back.search(data.queries[:30], 5)
    np.testing.assert_array_equal(I0, I1)
    np.testing.assert_array_equal(D0, D1)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        type(index).load(path)


def test_load_rejects_inconsistent_state(pq_index, tmp_path):
    params, arrays = pq_index._get_state()
    arrays = dict(arrays, codes=arrays["codes"][:, :4])
    with pytest.raises(ValueError, match="codes must have shape"):
        ek.PQIndex._from_state(params, arrays)


# -- bad inputs -------------------------------------------------------------------------------
def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="m=5 must divide d=32"):
        ek.PQIndex(32, 5)
    with pytest.raises(ValueError, match="m=7 must divide d=32"):
        ek.IVFPQIndex(32, 4, 7)
    with pytest.raises(ValueError, match="nbits must be <= 8"):
        ek.PQIndex(32, 4, nbits=9)
    with pytest.raises(ValueError, match="nlist must be >= 1"):
        ek.IVFPQIndex(32, 0, 4)
    with pytest.raises(ValueError, match="metric must be one of"):
        ek.PQIndex(32, 4, metric="hamming")
    with pytest.raises(ValueError, match="k_factor must be >= 1"):
        ek.PQIndex(32, 4, rerank=True, k_factor=0)
    with pytest.raises(TypeError, match="m must be an integer"):
        ek.IVFPQIndex(32, 4, "8")


def test_bad_use(pq_index, ivfpq_index, data):
    fresh = ek.PQIndex(D_, 8, nbits=NBITS)
    with pytest.raises(NotTrainedError, match="train"):
        fresh.add(data.database)
    with pytest.raises(NotTrainedError, match="train"):
        ek.IVFPQIndex(D_, 4, 8).search(data.queries, 1)
    with pytest.raises(ValueError, match="fewer than the 2\\*\\*nbits=64"):
        fresh.train(data.train[:50])
    with pytest.raises(ValueError, match="at least nlist=16"):
        ek.IVFPQIndex(D_, 16, 8, nbits=2).train(data.train[:10])
    with pytest.raises(ValueError, match="already holds codes"):
        pq_index.train(data.train)
    with pytest.raises(ValueError, match="already holds codes"):
        ivfpq_index.train(data.train)
    with pytest.raises(ValueError, match="q must have d=32"):
        pq_index.search(data.queries[:, :16], 5)
    with pytest.raises(ValueError, match="k=6000 is larger"):
        pq_index.search(data.queries, 6000)
    with pytest.raises(ValueError, match="nprobe must be <= 16"):
        ivfpq_index.nprobe = 17
    with pytest.raises(ValueError, match="search_type must be one of"):
        pq_index.search_type = "exact"
    ip = ek.PQIndex(D_, 8, nbits=NBITS, metric="ip")
    with pytest.raises(ValueError, match="search_type='sdc' needs metric='l2'"):
        ip.search_type = "sdc"
    empty = ek.PQIndex(D_, 4, nbits=4, n_iter=2)
    empty.train(data.train)
    with pytest.raises(ValueError, match="empty"):
        empty.search(data.queries, 1)
