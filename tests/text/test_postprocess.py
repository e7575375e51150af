import numpy as np
import pytest

from embedkit.text.postprocess import all_but_the_top


def test_matches_svd_projection_and_removes_the_directions():
    rng = np.random.default_rng(0)
    # a strong common direction plus noise, as word vectors have
    X = rng.normal(size=(500, 20)) + 5.0 * rng.normal(size=(500, 1)) * rng.normal(size=(1, 20)) + 3.0
    out = all_but_the_top(X, 2)
    assert out.dtype == np.float32 and out.shape == X.shape
    Xc = X - X.mean(0)
    _, _, Vt = np.linalg.svd(Xc, full_matrices=False)      # independent route: the SVD
    expected = Xc - Xc @ Vt[:2].T @ Vt[:2]
    np.testing.assert_allclose(out, expected, atol=1e-4)
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(out @ Vt[:2].T, 0, atol=1e-3)
    # the common direction dominated cosines before, not after
    cos = lambda A: (A / np.linalg.norm(A, axis=1, keepdims=True)) @ (A / np.linalg.norm(A, axis=1, keepdims=True)).T
    assert np.abs(cos(X)).mean() > 0.5 > 2 * np.abs(cos(out)).mean()


def test_zero_components_only_centres():
    X = np.arange(12, dtype=np.float32).reshape(4, 3) ** 1.5
    np.testing.assert_allclose(all_but_the_top(X, 0), X - X.mean(0), rtol=1e-6)


@pytest.mark.parametrize("bad, match", [(-1, "n_components must be >= 0"), (3, "below min"),
                                        (1.5, "n_components must be an integer")])
def test_bad_n_components(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        all_but_the_top(np.ones((5, 3)), bad)


def test_bad_vectors():
    with pytest.raises(ValueError, match="vectors must be 2-D"):
        all_but_the_top(np.ones(5))
