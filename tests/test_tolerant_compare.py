"""The tolerant nbval comparison: numbers within the noise pass, every other change fails."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import tolerant_compare
from tools.tolerant_compare import (
    DEFAULT_REL_TOL, DEFAULT_UNITS, TolerantText, last_digit_unit, numbers_match, tokenize,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def documented_tolerance(monkeypatch):
    """These tests pin the documented rule, whatever EMBEDKIT_NBVAL_* says in this shell."""
    monkeypatch.setattr(tolerant_compare, "REL_TOL", DEFAULT_REL_TOL)
    monkeypatch.setattr(tolerant_compare, "UNITS", DEFAULT_UNITS)


def explain_mismatch(a, b):
    return tolerant_compare.explain_mismatch(a, b)


def same(a, b):
    return explain_mismatch(a, b) is None


# ---- what must still fail ---------------------------------------------------------------

def test_a_changed_word_fails():
    reason = explain_mismatch("nearest: queen 0.812\n", "nearest: king 0.812\n")
    assert reason == "line 1: expected 'queen', got 'king'"


def test_a_reordered_list_fails():
    ref = "[('the', 4), ('victoria', 4), ('in', 4)]"
    assert not same(ref, "[('the', 4), ('in', 4), ('victoria', 4)]")
    assert not same("['ace', 'myrtle', 'fairy', '83']", "['myrtle', 'ace', 'fairy', '83']")


def test_a_missing_line_fails():
    ref = "recall@10 PQ: 0.464\nrecall@10 OPQ: 0.468\n"
    reason = explain_mismatch(ref, "recall@10 PQ: 0.464\n")
    assert reason is not None and "line 2" in reason and "end of the output" in reason
    assert not same("a\nb\n", "a b\n")          # a line break is structure, not layout


def test_a_number_outside_the_tolerance_fails():
    reason = explain_mismatch("recall 0.475\n", "recall 0.468\n")
    assert reason is not None
    assert "0.475 became 0.468" in reason and "tolerance" in reason
    assert not same("loss 6.05", "loss 6.20")      # 2.4% relative, 15 units of the last digit
    assert not same("gap +0.030", "gap +0.025")    # 5 units, 17% relative


def test_integers_are_exact():
    assert not same("16,233 words", "16,234 words")
    assert not same("ids [3, 7, 12]", "ids [3, 7, 13]")
    assert "integers must match exactly" in explain_mismatch("n = 4", "n = 5")


def test_an_extra_number_or_word_fails():
    assert not same("top-1 0.085", "top-1 0.085 0.1")
    assert not same("DURATION", "DURATION extra")


# ---- what passes ------------------------------------------------------------------------

def test_last_digit_noise_passes():
    assert same("top-1 accuracy: encoder 0.086 vs unigram 0.079",
                "top-1 accuracy: encoder 0.085 vs unigram 0.079")
    assert same("sense 0.722, gap +0.031", "sense 0.723, gap +0.030")
    assert same("test RMSE 0.0878", "test RMSE 0.0876")     # 2 units of the last digit
    assert same("test RMSE 1.04", "test RMSE 1.06")         # exactly 2 units, despite binary rounding
    assert tolerant_compare.explain_mismatch("1.04", "1.05", rel_tol=0.0, units=1) is None


def test_relative_tolerance_for_many_digits():
    assert same("perplexity 425.317", "perplexity 428.9")    # 0.8%: more digits than supported
    assert not same("perplexity 425.3", "perplexity 431.0")  # 1.3%


def test_layout_spaces_do_not_matter_but_tokens_do():
    assert same("name       9.99   1.000", "name      10.01   1.000")
    assert same("-0.000", "0.000")
    assert not same("ab", "a b")


def test_scientific_notation():
    assert last_digit_unit("1.6e-08") == pytest.approx(1e-9)
    assert same("error 1.6e-08", "error 1.7e-08")
    assert not same("error 1.6e-08", "error 2.6e-08")


def test_tokens():
    kinds = [(t.kind, t.text) for t in tokenize("PQ16 at 0.5x, 16,233 words\n1.2.3")]
    assert kinds == [("word", "PQ"), ("word", "1"), ("word", "6"), ("word", "at"),
                     ("number", "0.5"), ("word", "x,"), ("number", "16,233"), ("word", "words"),
                     ("newline", "\n"), ("word", "1"), ("word", "."), ("word", "2"),
                     ("word", "."), ("word", "3")]
    assert numbers_match("0.5", "0.51") and not numbers_match("3", "4")


def test_tolerant_text_is_a_string_with_tolerant_equality():
    a = TolerantText("x = 0.722\n")
    assert a == "x = 0.723\n" and not (a != "x = 0.723\n")
    assert a != "x = 0.730\n"
    assert a.upper() == "X = 0.722\n" and hash(a) == hash("x = 0.722\n")


# ---- end to end: nbval with the conftest patch --------------------------------------------

def _notebook(tmp_path, stored_output: str, source: str) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored_output)]
    nb.cells = [cell]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("stored, passes", [
    ("value 0.7223\n", True),     # fresh run prints 0.7224: one unit of the last digit
    ("value 0.7300\n", False),    # a real change
    ("values 0.7224\n", False),   # a changed word
])
def test_nbval_uses_the_tolerant_comparison(tmp_path, stored, passes):
    path = _notebook(tmp_path, stored, "print(f'value {0.72236:.4f}')")
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("EMBEDKIT_NBVAL_")},
             "PYTHONPATH": str(ROOT)},
    )
    assert (result.returncode == 0) == passes, result.stdout[-2000:]
    if not passes:
        assert "first difference" in result.stdout
