"""embedkit.text.bias: gender direction, WEAT, hard debiasing, against hand computations."""
import itertools

import numpy as np
import pytest

from embedkit import WordVectors, gender_direction, hard_debias, project, weat_effect_size, weat_test


def toy_wv():
    """3-D vectors: axis 0 is 'gender', axes 1-2 carry meaning."""
    words = ["he", "she", "man", "woman", "king", "queen", "nurse", "engineer", "table"]
    vectors = [[1, 1, 0], [-1, 1, 0], [1, 0.8, 0.2], [-1, 0.8, 0.2], [0.8, 0.2, 1],
               [-0.8, 0.2, 1], [-0.5, 0.1, 1], [0.6, 0.3, 1], [0.05, -1, 0.3]]
    return WordVectors(words, vectors)


PAIRS = [("he", "she"), ("man", "woman"), ("king", "queen")]


@pytest.mark.parametrize("method", ["pca", "mean"])
def test_gender_direction_finds_the_planted_axis(method):
    g = gender_direction(toy_wv(), PAIRS, method=method)
    assert g.shape == (3,) and g.dtype == np.float32
    assert np.linalg.norm(g) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(g, [1, 0, 0], atol=1e-6)      # pairs differ only along axis 0


def test_gender_direction_mean_and_pca_by_hand():
    rng = np.random.default_rng(0)
    wv = WordVectors([f"w{i}" for i in range(8)], rng.standard_normal((8, 5)))
    pairs = [("w0", "w1"), ("w2", "w3"), ("w4", "w5")]
    U = wv.unit_vectors.astype(np.float64)
    diffs = np.array([U[2 * i] - U[2 * i + 1] for i in range(3)])
    mean = diffs.mean(0) / np.linalg.norm(diffs.mean(0))
    np.testing.assert_allclose(gender_direction(wv, pairs, method="mean"), mean, atol=1e-6)
    # PCA of the pair-centred vectors +-diff/2: the top eigenvector of sum diff diff^T
    w, V = np.linalg.eigh(diffs.T @ diffs)
    top = V[:, -1] * np.sign(V[:, -1] @ diffs.mean(0))
    np.testing.assert_allclose(gender_direction(wv, pairs, method="pca"), top, atol=1e-5)


def test_project_is_cosine_with_direction():
    wv = toy_wv()
    g = np.array([2.0, 0.0, 0.0])
    got = project(wv, ["nurse", "engineer", "table"], g)
    expected = [wv.unit_vectors[wv.index[w]][0] for w in ["nurse", "engineer", "table"]]   # cos with axis 0
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert got[0] < 0 < got[1]


def _s(wv, w, A, B):
    return np.mean([wv.similarity(w, a) for a in A]) - np.mean([wv.similarity(w, b) for b in B])


def test_weat_effect_size_by_hand():
    wv = toy_wv()
    X, Y, A, B = ["engineer", "king"], ["nurse", "queen"], ["he", "man"], ["she", "woman"]
    sx = [_s(wv, w, A, B) for w in X]
    sy = [_s(wv, w, A, B) for w in Y]
    expected = (np.mean(sx) - np.mean(sy)) / np.std(sx + sy, ddof=1)
    assert weat_effect_size(wv, X, Y, A, B) == pytest.approx(expected, rel=1e-6)
    assert weat_effect_size(wv, Y, X, A, B) == pytest.approx(-expected, rel=1e-6)    # antisymmetric
    assert weat_effect_size(wv, X, Y, B, A) == pytest.approx(-expected, rel=1e-6)
    assert expected > 1.0


def test_weat_p_value_matches_exact_enumeration():
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(14)]
    wv = WordVectors(words, rng.standard_normal((14, 6)))
    X, Y, A, B = words[:4], words[4:8], words[8:11], words[11:]
    # exact one-sided p-value over all C(8, 4) = 70 splits of X u Y
    s = {w: _s(wv, w, A, B) for w in X + Y}
    stat = lambda xs: sum(s[w] for w in xs) - sum(s[w] for w in X + Y if w not in xs)  # noqa: E731
    observed = stat(X)
    exact = np.mean([stat(c) >= observed - 1e-12 for c in itertools.combinations(X + Y, 4)])
    effect, p = weat_test(wv, X, Y, A, B, n_permutations=20_000, seed=0)
    assert effect == pytest.approx(weat_effect_size(wv, X, Y, A, B))
    assert p == pytest.approx(exact, abs=0.01)
    assert weat_test(wv, X, Y, A, B, n_permutations=500, seed=3) == weat_test(wv, X, Y, A, B, n_permutations=500, seed=3)


def test_weat_strong_bias_has_small_p_value():
    wv = toy_wv()
    effect, p = weat_test(wv, ["engineer", "king", "he"], ["nurse", "queen", "she"], ["man"], ["woman"],
                          n_permutations=2000, seed=0)
    assert effect > 1.5 and p < 0.1        # 1 of the 20 splits is this extreme: exact p = 0.05


def test_hard_debias_neutralises_and_equalises():
    wv = toy_wv()
    g = gender_direction(wv, PAIRS)
    fair = hard_debias(wv, g, ["nurse", "engineer", "table", "not-a-word"], [("king", "queen")])
    assert fair is not wv and fair.words == wv.words
    np.testing.assert_allclose(np.linalg.norm(fair.vectors, axis=1), 1.0, atol=1e-6)
    # neutral words: zero along g, otherwise the unit-normalised remainder
    np.testing.assert_allclose(project(fair, ["nurse", "engineer", "table"], g), 0.0, atol=1e-6)
    u = wv.unit_vectors[wv.index["nurse"]].astype(np.float64)
    rest = u - (u @ g) * g
    np.testing.assert_allclose(fair["nurse"], rest / np.linalg.norm(rest), atol=1e-6)
    # equalised pair: mirror images through the neutral subspace, each on its own side
    k, q = fair["king"], fair["queen"]
    assert k @ g == pytest.approx(-(q @ g), abs=1e-6) and k @ g > 0
    np.testing.assert_allclose(k - (k @ g) * g, q - (q @ g) * g, atol=1e-6)
    for w in ["nurse", "engineer", "table"]:
        assert fair.similarity(w, "king") == pytest.approx(fair.similarity(w, "queen"), abs=1e-6)
    # untouched words keep their direction; the input is unchanged
    np.testing.assert_allclose(fair["he"], wv.unit_vectors[0], atol=1e-6)
    np.testing.assert_array_equal(wv["nurse"], np.float32([-0.5, 0.1, 1]))


def test_bad_input():
    wv = toy_wv()
    with pytest.raises(ValueError, match="method"):
        gender_direction(wv, PAIRS, method="lda")
    with pytest.raises(KeyError, match="hen"):
        gender_direction(wv, [("hen", "she")])
    with pytest.raises(ValueError, match="pairs"):
        gender_direction(wv, [("he", "she", "it")])
    with pytest.raises(ValueError, match="at least one"):
        gender_direction(wv, [])
    with pytest.raises(ValueError, match="direction"):
        project(wv, ["he"], np.zeros(3))
    with pytest.raises(ValueError, match="direction"):
        project(wv, ["he"], np.ones(4))
    with pytest.raises(ValueError, match="X"):
        weat_effect_size(wv, [], ["she"], ["man"], ["woman"])
    with pytest.raises(KeyError, match="robot"):
        weat_effect_size(wv, ["robot"], ["she"], ["man"], ["woman"])
    with pytest.raises(ValueError, match="n_permutations"):
        weat_test(wv, ["he"], ["she"], ["man"], ["woman"], n_permutations=0)
    with pytest.raises(TypeError, match="neutral_words"):
        hard_debias(wv, np.ones(3), "nurse")
