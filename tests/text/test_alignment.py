"""embedkit.text.alignment: orthogonal Procrustes recovers a known rotation; align()."""
import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.stats import special_ortho_group

from embedkit import WordVectors, align, procrustes


def test_procrustes_recovers_a_known_rotation():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((200, 16))
    Q = special_ortho_group.rvs(16, random_state=1)
    R = procrustes(A, A @ Q)
    assert R.shape == (16, 16) and R.dtype == np.float32
    np.testing.assert_allclose(R, Q, atol=1e-5)
    np.testing.assert_allclose(R.T @ R, np.eye(16), atol=1e-5)


def test_procrustes_equals_scipy_with_noise():
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((100, 8)), rng.standard_normal((100, 8))
    np.testing.assert_allclose(procrustes(A, B), orthogonal_procrustes(A, B)[0], atol=1e-5)


def test_align_undoes_a_rotation_of_a_word_space():
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    src = WordVectors(words, rng.standard_normal((300, 10)) * rng.uniform(0.5, 2, (300, 1)))
    Q = special_ortho_group.rvs(10, random_state=4)
    noise = rng.standard_normal((300, 10)) * 0.01
    tgt = WordVectors(words[::-1][:250], ((src.unit_vectors + noise) @ Q)[::-1][:250])   # other order, fewer words
    # before: the "same" word points anywhere
    assert np.mean([src.similarity(w, w) for w in words[:5]]) == pytest.approx(1.0)
    before = np.mean([src.unit_vectors[src.index[w]] @ tgt.unit_vectors[tgt.index[w]] for w in tgt.words])
    aligned = align(src, tgt, anchor_words=words[50:150])
    after = np.mean([aligned.unit_vectors[aligned.index[w]] @ tgt.unit_vectors[tgt.index[w]] for w in tgt.words])
    assert aligned.words == words[50:] and len(aligned) == 250         # shared words, src order
    assert abs(before) < 0.3 and after > 0.99
    np.testing.assert_allclose(np.linalg.norm(aligned.vectors, axis=1), 1.0, atol=1e-5)
    # a rotation keeps every cosine inside the source space
    assert aligned.similarity("w60", "w70") == pytest.approx(src.similarity("w60", "w70"), abs=1e-5)


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        procrustes(np.ones((5, 3)), np.ones((5, 4)))
    with pytest.raises(ValueError, match="A"):
        procrustes(np.ones(3), np.ones(3))
    a = WordVectors(["x", "y", "z"], np.eye(3))
    with pytest.raises(ValueError, match="dimension"):
        align(a, WordVectors(["x", "y"], np.eye(2)))
    with pytest.raises(KeyError, match="q"):
        align(a, a, anchor_words=["x", "q"])
    with pytest.raises(ValueError, match="at least 2"):
        align(a, WordVectors(["x", "p"], np.eye(3)[:2]))
    with pytest.raises(TypeError, match="wv_tgt"):
        align(a, np.eye(3))
