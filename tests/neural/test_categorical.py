"""Entity embeddings, sizing rules, the hashing trick and the generated data set."""
import math

import numpy as np
import pytest
import torch

from embedkit.neural.categorical import (EntityEmbeddingModel, collision_rate, embedding_size_rules,
                                  expected_collision_rate, hash_bucket, make_categorical_data,
                                  predict, train_entity_model)


def test_size_rules_hand_computed():
    assert embedding_size_rules(2000) == {"fourth_root": 7, "fastai_v1": 50, "fastai": 113, "sqrt": 45}
    assert embedding_size_rules(10) == {"fourth_root": 2, "fastai_v1": 5, "fastai": 6, "sqrt": 4}
    assert embedding_size_rules(10**9)["fastai"] == 600          # capped
    with pytest.raises(ValueError, match="cardinality"):
        embedding_size_rules(0)


def test_hash_bucket_is_stable_uniform_and_seeded():
    values = [f"user_{i}" for i in range(20_000)]
    b = hash_bucket(values, 100, seed=0)
    assert b.dtype == np.int64 and b.min() >= 0 and b.max() < 100
    np.testing.assert_array_equal(b, hash_bucket(values, 100, seed=0))   # no per-process salt
    assert (b != hash_bucket(values, 100, seed=1)).mean() > 0.9
    counts = np.bincount(b, minlength=100)
    # chi-square test of uniformity at 99 degrees of freedom (99.9% quantile ~ 149)
    chi2 = ((counts - 200) ** 2 / 200).sum()
    assert chi2 < 149
    assert hash_bucket(np.arange(5), 7).shape == (5,)                    # numpy ints work
    with pytest.raises(TypeError, match="single str"):
        hash_bucket("abc", 10)
    with pytest.raises(ValueError, match="n_buckets"):
        hash_bucket(["a"], 0)


def test_collision_rate_measured_vs_formula():
    assert collision_rate(np.array([0, 1, 1, 2, 3, 3, 3])) == pytest.approx(5 / 7)
    assert expected_collision_rate(1, 10) == 0.0
    assert expected_collision_rate(2, 10) == pytest.approx(0.1)
    for n, m in [(2000, 2000), (2000, 20_000), (5000, 1000)]:
        measured = collision_rate(hash_bucket(range(n), m, seed=0))
        expected = expected_collision_rate(n, m)
        assert abs(measured - expected) < 4 * math.sqrt(expected * (1 - expected) / n) + 0.01
    assert expected_collision_rate(2000, 2000) == pytest.approx(1 - math.exp(-1), abs=1e-3)


def test_make_categorical_data_structure():
    d = make_categorical_data(500, 50, latent_dim=2, n_numeric=3, noise=0.0, seed=1)
    assert d.cat.shape == (500,) and d.x.shape == (500, 3) and d.latent.shape == (50, 2)
    assert d.cat.max() < 50 and d.x.dtype == np.float32
    again = make_categorical_data(500, 50, latent_dim=2, n_numeric=3, noise=0.0, seed=1)
    np.testing.assert_array_equal(d.y, again.y)
    # noise-free target is bilinear: y = z_c . (A x + b), so for one category y is affine in x
    rows = d.cat == np.bincount(d.cat).argmax()
    X1 = np.c_[d.x[rows], np.ones(rows.sum())]
    resid = d.y[rows] - X1 @ np.linalg.lstsq(X1, d.y[rows], rcond=None)[0]
    assert np.abs(resid).max() < 1e-4
    train, test = d.split(400)
    assert len(train.y) == 400 and len(test.y) == 100


def test_one_hot_layer_equals_embedding_lookup():
    m = EntityEmbeddingModel([6], "one_hot", hidden=(4,), seed=0)
    emb = EntityEmbeddingModel([6], 4, hidden=(), seed=0)
    first = m.mlp[0]
    cat = torch.tensor([[0], [3], [5]])
    # one-hot @ W^T == rows of W^T: the first layer of the one-hot model is an embedding
    onehot_out = first(torch.nn.functional.one_hot(cat[:, 0], 6).float())
    np.testing.assert_allclose(onehot_out.detach().numpy(),
                               (first.weight.T[cat[:, 0]] + first.bias).detach().numpy(), rtol=1e-6)
    assert m.n_embedding_parameters() == 6 * 4 and emb.n_embedding_parameters() == 6 * 4


def test_embedding_dropout_drops_whole_vectors_only_in_training():
    m = EntityEmbeddingModel([10], 5, embedding_dropout=0.5, hidden=(), seed=0)
    cat = torch.arange(10).repeat(50)[:, None]
    m.train()
    torch.manual_seed(0)
    v = m._vectors(cat)[0]
    dropped = (v == 0).all(1)
    kept = ~dropped
    assert 0.35 < dropped.float().mean() < 0.65
    torch.testing.assert_close(v[kept], 2 * m.embeddings[0](cat[kept, 0]))   # rescaled 1/(1-p)
    m.eval()
    torch.testing.assert_close(m._vectors(cat)[0], m.embeddings[0](cat[:, 0]))


def test_training_learns_the_latent_structure_and_is_reproducible():
    d = make_categorical_data(6000, 50, latent_dim=2, n_numeric=3, noise=0.1, seed=0)
    train, test = d.split(5000)
    m = EntityEmbeddingModel([50], 4, n_numeric=3, hidden=(32,), seed=0)
    hist = train_entity_model(m, train.cat, train.x, train.y, steps=400, lr=1e-2, progress=False)
    rmse = float(np.sqrt(np.mean((predict(m, test.cat, test.x) - test.y) ** 2)))
    baseline = float(test.y.std())               # predicting the mean
    assert hist.last < 0.3 * hist.first and rmse < 0.4 * baseline
    m2 = EntityEmbeddingModel([50], 4, n_numeric=3, hidden=(32,), embedding_dropout=0.2, seed=0)
    m3 = EntityEmbeddingModel([50], 4, n_numeric=3, hidden=(32,), embedding_dropout=0.2, seed=0)
    h2 = train_entity_model(m2, train.cat, train.x, train.y, steps=20, progress=False, seed=5)
    h3 = train_entity_model(m3, train.cat, train.x, train.y, steps=20, progress=False, seed=5)
    assert h2.losses == h3.losses


def test_bad_inputs():
    with pytest.raises(ValueError, match="one_hot"):
        EntityEmbeddingModel([5], "onehot")
    with pytest.raises(ValueError, match="dims has"):
        EntityEmbeddingModel([5, 6], [2])
    m = EntityEmbeddingModel([5], 2, n_numeric=2)
    with pytest.raises(ValueError, match=r"ids in \[0, 5\)"):
        predict(m, np.array([0, 7]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="d=2 columns"):
        predict(m, np.array([0, 1]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="y must be"):
        train_entity_model(m, np.array([0, 1]), np.zeros((2, 2)), np.zeros(3), steps=1, progress=False)
