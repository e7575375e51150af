"""``index_factory`` builds exactly the index the explicit constructor call builds.

"Exactly" is checked twice: the two indexes have the same class and constructor settings,
and after training and adding the same data they save byte-identical state and return
identical search results.
"""
import numpy as np
import pytest

import embedkit as ek
from embedkit.datasets import make_search_data


@pytest.fixture(scope="module")
def data():
    return make_search_data(n=1500, nq=40, d=16, n_train=1500, seed=5)


def _state(index):
    params, arrays = index._get_state()
    return params, arrays


@pytest.mark.parametrize("description, metric, kwargs, explicit", [
    ("Flat", "l2", {}, lambda: ek.FlatIndex(16)),
    ("Flat", "ip", {}, lambda: ek.FlatIndex(16, "ip")),
    ("IVF32", "l2", {"seed": 1}, lambda: ek.IVFIndex(16, 32, seed=1)),
    ("IVF32,Flat", "cosine", {"seed": 1}, lambda: ek.IVFIndex(16, 32, "cosine", seed=1)),
    ("PQ4", "l2", {"seed": 2}, lambda: ek.PQIndex(16, 4, seed=2)),
    ("PQ4x4", "l2", {"seed": 2}, lambda: ek.PQIndex(16, 4, 4, seed=2)),
    ("OPQ4,PQ4", "l2", {"seed": 2}, lambda: ek.PQIndex(16, 4, opq=True, seed=2)),
    ("PQ4,RFlat", "ip", {"seed": 2}, lambda: ek.PQIndex(16, 4, metric="ip", rerank=True, seed=2)),
    ("IVF16,PQ4", "l2", {"seed": 3}, lambda: ek.IVFPQIndex(16, 16, 4, seed=3)),
    ("OPQ4,IVF16,PQ4", "l2", {"seed": 3}, lambda: ek.IVFPQIndex(16, 16, 4, opq=True, seed=3)),
    ("OPQ4_16,IVF16,PQ4x6,RFlat", "cosine", {"seed": 3},
     lambda: ek.IVFPQIndex(16, 16, 4, 6, "cosine", opq=True, rerank=True, seed=3)),
    ("HNSW8", "l2", {"seed": 4, "ef_construction": 40},
     lambda: ek.HNSWIndex(16, 8, ef_construction=40, seed=4)),
    ("HNSW8,Flat", "cosine", {"seed": 4}, lambda: ek.HNSWIndex(16, 8, metric="cosine", seed=4)),
    ("SQ8", "l2", {}, lambda: ek.SQIndex(16, 8)),
    ("SQ4", "ip", {}, lambda: ek.SQIndex(16, 4, "ip")),
])
def test_factory_builds_the_explicit_index(data, description, metric, kwargs, explicit):
    built, reference = ek.index_factory(16, description, metric, **kwargs), explicit()
    assert type(built) is type(reference)
    assert _state(built)[0] == _state(reference)[0]        # same settings before training
    for index in (built, reference):
        if index.needs_training:
            index.train(data.train)
        index.add(data.database)
    params_b, arrays_b = _state(built)
    params_r, arrays_r = _state(reference)
    assert params_b == params_r
    assert sorted(arrays_b) == sorted(arrays_r)
    for name in arrays_b:
        np.testing.assert_array_equal(arrays_b[name], arrays_r[name], err_msg=name)
    D_b, I_b = built.search(data.queries, 5)
    D_r, I_r = reference.search(data.queries, 5)
    np.testing.assert_array_equal(I_b, I_r)
    np.testing.assert_array_equal(D_b, D_r)


@pytest.mark.parametrize("description, fragment", [
    ("IVF", "unknown or misplaced part"),
    ("PQ4,IVF16", "unknown or misplaced part"),
    ("HNSW", "unknown or misplaced part"),
    ("Flat,RFlat", "OPQ and RFlat go with a PQ index"),
    ("OPQ4,Flat", "OPQ and RFlat go with a PQ index"),
    ("OPQ8,PQ4", "must match the PQ's m=4"),
    ("OPQ4_8,PQ4", "reduces the dimension to 8"),
    ("SQ6", "unknown or misplaced part"),
    ("", "unknown or misplaced part"),
])
def test_factory_rejects_unknown_descriptions(description, fragment):
    with pytest.raises(ValueError) as err:
        ek.index_factory(16, description)
    assert fragment in str(err.value) and repr(description) in str(err.value)


def test_factory_checks_its_arguments():
    with pytest.raises(TypeError, match="description must be a string"):
        ek.index_factory(16, None)
    with pytest.raises(ValueError, match="d"):
        ek.index_factory(0, "Flat")
    with pytest.raises(ValueError, match="metric"):
        ek.index_factory(16, "Flat", metric="hamming")
