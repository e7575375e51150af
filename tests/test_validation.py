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


# -- words, counts, masks, finite tensors, divergence (issue #20) ------------------------------
def test_check_words_and_counts():
    from embedkit._validation import check_counts, check_words

    assert check_words(("a", "b")) == ["a", "b"]
    with pytest.raises(TypeError, match=r"words must be a list of str, got the string 'ab'; for one word pass \[words\]"):
        check_words("ab")
    with pytest.raises(TypeError, match="words must hold only str, got NoneType at position 1"):
        check_words(["a", None])
    assert check_counts([3.0, 2]).tolist() == [3, 2] and check_counts([3.0]).dtype == np.int64
    with pytest.raises(ValueError, match=r"counts must hold whole numbers .* got 2.5 at index 1; round"):
        check_counts([1, 2.5])
    with pytest.raises(ValueError, match="counts must be positive, got 0 at index 0"):
        check_counts([0, 2], positive=True)
    with pytest.raises(TypeError, match="counts must hold whole numbers, got booleans"):
        check_counts([True, False])


def test_check_bool_mask_and_finite_tensors():
    import torch

    from embedkit._validation import check_bool_mask, check_finite

    check_bool_mask(np.ones(2, bool))
    check_bool_mask(torch.zeros(2), allow_float=True)
    with pytest.raises(TypeError, match=r"mask must be boolean .* got dtype torch.int64; for a 0/1 integer mask pass mask.bool\(\)"):
        check_bool_mask(torch.ones(2, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"h contains NaN or infinity \(first at index \(1, 0\)\)"):
        check_finite(torch.tensor([[0.0], [float("inf")]]), "h")


def test_an_integer_attention_mask_is_refused_not_added():
    import embedkit as ek

    q = np.ones((1, 2, 4), np.float32)
    with pytest.raises(TypeError, match="mask must be boolean"):
        ek.scaled_dot_product_attention(q, q, q, np.array([[1, 0], [1, 1]]))
    out_bool, w = ek.scaled_dot_product_attention(q, q, q, np.array([[True, False], [True, True]]))
    assert w[0, 0, 1] == 0 and np.allclose(w.sum(-1), 1)


def _diverging_trainers():
    import torch

    import embedkit as ek
    from embedkit.text.sgns_numpy import train_sgns

    sents = [["a", "b", "c", "d", "e"] * 4] * 20

    def torch_fit():
        model = torch.nn.Linear(2, 1)
        x = torch.randn(16, 2)
        return ek.fit(model, lambda m, b: ((m(b) - 3) ** 2).mean(), lambda rng: iter([x]),
                      steps=50, lr=1e20, optimizer="sgd", clip_grad=None, progress=False)

    return {
        "word2vec": ("alpha", lambda: ek.train_word2vec(sents, dim=4, min_count=1, epochs=2, alpha=1e30,
                                                         min_alpha=1e29, progress=False)),
        "glove": ("learning_rate", lambda: ek.train_glove(sents, dim=4, min_count=1, epochs=2,
                                                          learning_rate=1e30, progress=False)),
        "subword": ("alpha", lambda: ek.train_subword(sents, dim=4, min_count=1, epochs=2, alpha=1e30,
                                                      min_alpha=1e29, progress=False)),
        "sgns_numpy": ("lr", lambda: train_sgns(np.array([0, 1, 2, 3] * 5), 4, dim=3, epochs=3, lr=1e30)),
        "fit": ("lr", torch_fit),
    }


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # numpy's overflow warnings on the way
@pytest.mark.parametrize("name", ["word2vec", "glove", "subword", "sgns_numpy", "fit"])
def test_training_that_diverges_names_the_learning_rate(name):
    from embedkit._validation import TrainingDivergedError

    lr_name, run = _diverging_trainers()[name]
    with pytest.raises(TrainingDivergedError, match=rf"training diverged: .* learning rate {lr_name}=.* "
                                                    rf"too large .* smaller {lr_name}") as err:
        run()
    assert isinstance(err.value, ValueError) and isinstance(err.value, FloatingPointError)
