"""embedkit.search.index_base: save/load round trips, damaged and foreign files, shared checks."""
import os

import numpy as np
import pytest

import embedkit as ek
from embedkit.search.index_base import Index, NotTrainedError, Persistable, merge_top_k

D_ = 16


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((600, D_), dtype=np.float32),
            rng.standard_normal((20, D_), dtype=np.float32))


def _build(kind, X):
    if kind == "flat":
        index = ek.FlatIndex(D_, "cosine")
    elif kind == "ivf":
        index = ek.IVFIndex(D_, 8, "l2", seed=0)
        index.train(X)
        index.nprobe = 3
    elif kind == "sq8":
        index = ek.SQIndex(D_, bits=8, metric="ip", clip_quantile=0.01)
        index.train(X)
    elif kind == "sq4":
        index = ek.SQIndex(D_ - 1, bits=4)  # odd d: the packed last byte is half used
        X = X[:, :-1]
        index.train(X)
    else:
        index = ek.BinaryIndex(D_, store_vectors=True)
        index.train(X)
        index.rescore = 4
    index.add(X)
    return index, X


KINDS = ["flat", "ivf", "sq8", "sq4", "binary"]


# -- round trips ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_save_load_round_trip_is_exact(kind, data, tmp_path):
    X, Q = data
    index, X = _build(kind, X)
    Q = Q[:, :X.shape[1]]
    path = tmp_path / "index.ekidx"
    index.save(path)
    assert os.listdir(tmp_path) == ["index.ekidx"]  # no ".npz" appended to the name
    loaded = type(index).load(path)
    assert type(loaded) is type(index) and loaded.ntotal == index.ntotal
    assert loaded.metric == index.metric and loaded.d == index.d
    D1, I1 = index.search(Q, 7)
    D2, I2 = loaded.search(Q, 7)
    np.testing.assert_array_equal(I1, I2)
    np.testing.assert_array_equal(D1, D2)
    # The loaded index keeps working: adding more gives the same as adding to the original.
    index.add(X[:5])
    loaded.add(X[:5])
    np.testing.assert_array_equal(index.search(Q, 3)[1], loaded.search(Q, 3)[1])


def test_knobs_survive_a_round_trip(data, tmp_path):
    X, _ = data
    ivf, _ = _build("ivf", X)
    ivf.save(tmp_path / "ivf")
    assert ek.IVFIndex.load(tmp_path / "ivf").nprobe == 3
    binary, _ = _build("binary", X)
    binary.save(tmp_path / "bin")
    assert ek.BinaryIndex.load(tmp_path / "bin").rescore == 4


def test_base_class_load_returns_whatever_the_file_holds(data, tmp_path):
    X, _ = data
    index, _ = _build("ivf", X)
    index.save(tmp_path / "x")
    assert isinstance(Index.load(tmp_path / "x"), ek.IVFIndex)
    assert isinstance(Persistable.load(tmp_path / "x"), ek.IVFIndex)


def test_quantizers_round_trip(data, tmp_path):
    X, _ = data
    for q in (ek.ScalarQuantizer(8).fit(X), ek.ScalarQuantizer(4).fit(X), ek.BinaryQuantizer().fit(X)):
        q.save(tmp_path / "q")
        loaded = type(q).load(tmp_path / "q")
        np.testing.assert_array_equal(q.encode(X), loaded.encode(X))
        np.testing.assert_array_equal(q.decode(q.encode(X)), loaded.decode(loaded.encode(X)))


def test_empty_and_untrained_indexes_round_trip(tmp_path):
    ek.FlatIndex(4).save(tmp_path / "f")
    assert ek.FlatIndex.load(tmp_path / "f").ntotal == 0
    ek.IVFIndex(4, 2).save(tmp_path / "i")
    assert not ek.IVFIndex.load(tmp_path / "i").is_trained


# -- damaged and foreign files ------------------------------------------------------
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.99])
def test_truncated_file_raises_value_error_naming_the_path(fraction, data, tmp_path):
    X, _ = data
    index, _ = _build("ivf", X)
    path = tmp_path / "cut.ekidx"
    index.save(path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * fraction)])
    with pytest.raises(ValueError, match="cut.ekidx"):
        ek.IVFIndex.load(path)


def test_corrupted_bytes_raise_value_error(data, tmp_path):
    X, _ = data
    index, _ = _build("flat", X)
    path = tmp_path / "bad"
    index.save(path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2: len(raw) // 2 + 64] = b"\xff" * 64  # inside the vector data
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="bad"):
        ek.FlatIndex.load(path)


def test_foreign_npz_file_is_rejected(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, vectors=np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="not an embedkit index file"):
        ek.FlatIndex.load(path)
    path.write_text("hello, I am a text file")
    with pytest.raises(ValueError, match="foreign.npz"):
        ek.FlatIndex.load(path)


def test_wrong_class_and_wrong_version_are_rejected(data, tmp_path, monkeypatch):
    X, _ = data
    index, _ = _build("flat", X)
    index.save(tmp_path / "flat")
    with pytest.raises(ValueError, match="holds FlatIndex, not IVFIndex"):
        ek.IVFIndex.load(tmp_path / "flat")
    monkeypatch.setattr(ek.FlatIndex, "_format_version", 99)
    with pytest.raises(ValueError, match="format version 1"):
        ek.FlatIndex.load(tmp_path / "flat")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        ek.FlatIndex.load(tmp_path / "nope")


def test_loaded_file_needs_no_pickle(data, tmp_path):
    X, _ = data
    index, _ = _build("binary", X)
    index.save(tmp_path / "b")
    with np.load(tmp_path / "b", allow_pickle=False) as npz:  # plain arrays only
        assert "__header__" in npz.files


# -- shared checks ----------------------------------------------------------------------
def test_not_trained_error_is_a_value_error():
    assert issubclass(NotTrainedError, ValueError)
    with pytest.raises(ValueError, match="not trained"):
        ek.IVFIndex(4, 2).add(np.zeros((3, 4)))


def test_metric_and_d_are_validated():
    with pytest.raises(ValueError, match="metric"):
        ek.FlatIndex(4, metric="euclid")
    with pytest.raises(ValueError, match="d must be >= 1"):
        ek.FlatIndex(0)
    with pytest.raises(TypeError, match="d must be an integer"):
        ek.FlatIndex(4.0)


def test_merge_top_k_keeps_the_best_of_both():
    D1, I1 = np.array([[1.0, 4.0]], np.float32), np.array([[10, 11]])
    D2, I2 = np.array([[2.0, 3.0]], np.float32), np.array([[20, 21]])
    D, I = merge_top_k(D1, I1, D2, I2, 3, largest=False)
    np.testing.assert_array_equal(I, [[10, 20, 21]])
    np.testing.assert_array_equal(D, [[1.0, 2.0, 3.0]])
    D, I = merge_top_k(D1, I1, D2, I2, 2, largest=True)
    np.testing.assert_array_equal(I, [[11, 21]])
