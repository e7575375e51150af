"""embedkit._validation: the shared boundary checks behind every public function."""
import numpy as np
import pytest

from embedkit._validation import (as_generator, as_matrix, as_vector, check_choice, check_int,
                                  check_k, check_number)


def test_as_matrix_converts_once_to_contiguous_float32():
    x = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]  # non-contiguous view
    out = as_matrix(x, "x")
    assert out.dtype == np.float32 and out.flags.c_contiguous and out.shape == (3, 2)
    same = np.ones((2, 2), dtype=np.float32)
    assert as_matrix(same, "x") is same  # already right: no copy
    assert as_matrix([[True, False]], "x", dtype=None).dtype == np.bool_


@pytest.mark.parametrize("bad, exc, message", [
    ("text", TypeError, "x must be a numeric array, got the string 'text'"),
    (None, TypeError, "x must be a numeric array, got None"),
    ([[1, 2], [3]], ValueError, "x must be a rectangular numeric array"),
    (np.array([[1 + 1j]]), TypeError, "x must be real-valued"),
    (np.ones(3), ValueError, r"x must be 2-D \(n, d\), got shape \(3,\); for one vector pass x\[None, :\]"),
    (np.ones((0, 3)), ValueError, "x must contain at least one vector"),
    (np.ones((2, 0)), ValueError, "x must have at least one column"),
    (np.array([[1.0, np.inf]]), ValueError, r"x contains NaN or infinity \(first at index \(0, 1\)\)"),
])
def test_as_matrix_rejects(bad, exc, message):
    with pytest.raises(exc, match=message):
        as_matrix(bad, "x")


def test_as_matrix_dimension_and_vector_checks():
    with pytest.raises(ValueError, match=r"queries must have d=4 columns, got shape \(2, 3\)"):
        as_matrix(np.ones((2, 3)), "queries", d=4)
    with pytest.raises(ValueError, match=r"v must be 1-D \(d,\), got shape \(1, 3\); for a single row pass v\[0\]"):
        as_vector(np.ones((1, 3)), "v")
    with pytest.raises(ValueError, match="v must have length d=2, got length 3"):
        as_vector([1, 2, 3], "v", d=2)


def test_scalar_checks():
    assert check_int(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n must be an integer, got bool"):
        check_int(True, "n")
    with pytest.raises(ValueError, match="n must be <= 8, got 9"):
        check_int(9, "n", maximum=8)
    with pytest.raises(ValueError, match="k=3 is larger than the number of centroids"):
        check_k(3, 2, what="centroids")
    assert check_number(0.5, "lr", minimum=0, strict_minimum=True) == 0.5
    with pytest.raises(ValueError, match="lr must be > 0"):
        check_number(0, "lr", minimum=0, strict_minimum=True)
    with pytest.raises(ValueError, match="lr must be finite"):
        check_number(float("nan"), "lr")
    with pytest.raises(ValueError, match="metric must be one of 'l2', 'ip'; got 'L2'"):
        check_choice("L2", "metric", ["l2", "ip"])


def test_as_generator_is_deterministic_and_local():
    a = as_generator(7).standard_normal(3)
    b = as_generator(7).standard_normal(3)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    state = np.random.get_state()[1][:5].copy()
    as_generator(0).standard_normal(10)
    np.testing.assert_array_equal(np.random.get_state()[1][:5], state)  # global RNG untouched
    with pytest.raises(TypeError, match="seed must be an int, None or numpy.random.Generator"):
        as_generator("0")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        as_generator(-1)
