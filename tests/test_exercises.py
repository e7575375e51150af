"""The exercise checker: verdicts on hand-made answers, and every exercise notebook's
checks pass on its solution and report not-yet on its stub."""
import importlib
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from embedkit.exercises import RESULTS, FunctionQuestion, MultiPartQuestion, ValueQuestion, leaf_questions
from embedkit.exercises.core import approx_equal

ROOT = Path(__file__).resolve().parent.parent


def _square_question():
    return FunctionQuestion(
        qid="test.sq", title="square", name="square", reference=lambda x: x * x,
        cases=[("square(3)", (3.0,)), ("square(-2)", (-2.0,))], hint_text="x * x", solution_text="x * x",
    )


# -- verdicts --------------------------------------------------------------------------
def test_function_question_verdicts(capsys):
    q = _square_question()
    assert q.check(lambda x: x * x).status == "pass"
    assert "✅ Correct" in capsys.readouterr().out

    def stub(x):
        raise NotImplementedError
    assert q.check(stub).status == "not-yet"
    assert q.check(lambda x: None).status == "not-yet"   # forgot `return`
    assert q.check(...).status == "not-yet"

    v = q.check(lambda x: x + x)                            # right on 2 inputs? no: 3+3 != 9
    assert v.status == "incorrect" and "square(3)" in v.message and "expected 9" in v.message

    v = q.check(lambda x: 1 / 0)
    assert v.status == "incorrect" and "ZeroDivisionError" in v.message and "line" in v.message

    v = q.check(42)
    assert v.status == "incorrect" and "expected a function" in v.message
    v = q.check(lambda x: "nine")
    assert v.status == "incorrect" and "expected a number" in v.message
    assert RESULTS["test.sq"] == "incorrect"


def test_check_never_raises_on_hostile_answers():
    class Weird:
        def __eq__(self, other):
            raise RuntimeError("boom")
        __hash__ = None
    q = ValueQuestion(qid="test.v", title="v", name="v", expected="x", hint_text="", solution_text="")
    assert q.check(Weird()).status == "incorrect"
    q = _square_question()
    assert q.check(lambda *a, **k: (_ for _ in ()).throw(SystemError("odd"))).status == "incorrect"


def test_learner_cannot_mutate_reference_inputs():
    arr = np.array([1.0, 2.0])
    q = FunctionQuestion(qid="test.m", title="m", name="f", reference=lambda a: a.sum(),
                         cases=[("f(arr)", (arr,))], hint_text="", solution_text="")

    def mutating(a):
        a[:] = 0
        return 3.0
    assert q.check(mutating).status == "pass"
    np.testing.assert_array_equal(arr, [1.0, 2.0])


@pytest.mark.parametrize("got, expected, ok", [
    (1.00001, 1.0, True), (1.1, 1.0, False), (np.float32(2), 2, True),
    ([1, 2], np.array([1.0, 2.0]), True), (np.ones(3), np.ones(4), False),
    ({"a": 1.0}, {"a": 1.0}, True), ({"a": 1.0}, {"a": 1.0, "b": 2.0}, False),
    ({"x", "y"}, {"x", "y"}, True), ({"x"}, {"x", "y"}, False),
    (True, True, True), (1, True, False), ("C", "C", True), ("C", "D", False),
])
def test_approx_equal(got, expected, ok):
    assert approx_equal(got, expected)[0] is ok


def test_hint_and_solution_print(capsys):
    q = _square_question()
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Hint" in out and "Solution" in out


def test_verdicts_are_logged_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("EMBEDKIT_CHECK_LOG", str(log))
    _square_question().check(lambda x: x * x)
    assert json.loads(log.read_text().splitlines()[-1]) == {"question": "test.sq", "status": "pass", "message": "all 2 test inputs agree with the reference"}


# -- every exercise notebook against its solution ----------------------------------------
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))


def _run_and_collect(path: Path, log: Path, monkeypatch) -> dict[str, str]:
    monkeypatch.setenv("EMBEDKIT_CHECK_LOG", str(log))
    nb = nbformat.read(path, as_version=4)
    # raises-exception cells (a direct call of an unfinished stub) may raise; nothing else.
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    statuses = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        entry = json.loads(line)
        statuses[entry["question"]] = entry["status"]  # the last verdict counts
    return statuses


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda p: p.stem)
def test_solution_passes_and_stub_is_not_yet(exercise, tmp_path, monkeypatch):
    number = re.match(r"(\d\d)_", exercise.name).group(1)
    module = importlib.import_module(f"embedkit.exercises.ex{number}")
    qids = [q.qid for q in leaf_questions(module.QUESTIONS)]
    assert qids, f"embedkit.exercises.ex{number} defines no QUESTIONS"

    solution = ROOT / "solutions" / exercise.name
    on_solution = _run_and_collect(solution, tmp_path / "solution.jsonl", monkeypatch)
    on_stub = _run_and_collect(exercise, tmp_path / "stub.jsonl", monkeypatch)
    for qid in qids:
        assert on_solution.get(qid) == "pass", f"{solution.name}: {qid} is {on_solution.get(qid)}"
        assert on_stub.get(qid) == "not-yet", f"{exercise.name}: {qid} is {on_stub.get(qid)}"


# -- tiered hints, parts, and the extra checks ----------------------------------------------
def test_hints_come_in_tiers(capsys):
    q = FunctionQuestion(qid="test.h", title="tiers", name="f", reference=abs, cases=[("f(1)", (1,))],
                         hint_text=["a nudge", "more", "nearly the answer"], solution_text="abs")
    q.hint()
    q.hint()
    q.hint(3)
    q.hint()                                   # past the last tier: the last one again
    q.hint(7)
    out = capsys.readouterr().out
    assert out.index("a nudge") < out.index("Hint 2 of 3") < out.index("more") < out.index("nearly the answer")
    assert out.count("nearly the answer") == 2 and "hints 1 to 3; got level=7" in out
    single = _square_question()
    single.hint()
    assert capsys.readouterr().out.startswith("💡 Hint (square):")        # one tier: no "1 of 1"


@pytest.mark.parametrize("number", [f"{n:02d}" for n in range(1, 17)] + ["18", "20"])
def test_every_question_of_lessons_01_to_16_and_20_has_tiered_hints(number):
    module = importlib.import_module(f"embedkit.exercises.ex{number}")
    flat = [q.qid for q in leaf_questions(module.QUESTIONS) if len(q.hints) < 2]
    assert not flat, f"questions with a single hint: {flat}"


def test_multi_part_questions(capsys):
    part = lambda key: ValueQuestion(qid=f"test.mp.{key}", title=f"part {key}", name=key, expected=1.0,  # noqa: E731
                                     hint_text="h", solution_text="s")
    q = MultiPartQuestion("test.mp", "two parts", a=part("a"), b=part("b"))
    assert q.qids() == ["test.mp.a", "test.mp.b"] and q.a.label == "mp.a"
    assert q.a.check(1.0).status == "pass" and q.b.check(2.0).status == "incorrect"
    capsys.readouterr()
    q.check()
    out = capsys.readouterr().out
    assert "mp.a: ✅ Correct" in out and "mp.b: ❌ Incorrect" in out
    q.check(1.0)
    assert "check each one" in capsys.readouterr().out
    assert leaf_questions([q, _square_question()])[-1].qid == "test.sq"
    with pytest.raises(ValueError, match="must have qid test.mp.a"):
        MultiPartQuestion("test.mp", "bad", a=part("b"))


def test_keep_inputs_dtype_validate_and_prepare():
    base = dict(qid="test.x", title="x", name="f", hint_text="", solution_text="")
    arr = np.array([3.0, 1.0, 2.0])
    keep = FunctionQuestion(**base, reference=np.sort, cases=[("f(arr)", (arr,))], keep_inputs=True)

    def sorts_in_place(a):
        a.sort()
        return a
    v = keep.check(sorts_in_place)
    assert v.status == "incorrect" and v.message.startswith("f(arr)") and "argument 1 in place" in v.message
    assert keep.check(np.sort).status == "pass"
    np.testing.assert_array_equal(arr, [3.0, 1.0, 2.0])

    codes = FunctionQuestion(**base, reference=lambda a: a.astype(np.uint8), cases=[("f(arr)", (arr,))], dtype="exact")
    assert "expected dtype uint8, got int64" in codes.check(lambda a: a.astype(np.int64)).message
    ints = FunctionQuestion(**base, reference=lambda a: np.argsort(a), cases=[("f(arr)", (arr,))], dtype="integer")
    assert ints.check(lambda a: np.argsort(a).astype(float)).status == "incorrect"
    assert ints.check(lambda a: np.argsort(a).astype(np.int32)).status == "pass"

    nonneg = FunctionQuestion(**base, reference=lambda a: 0.0 * a, cases=[("f(arr)", (arr,))], atol=1e-3,
                              validate=lambda got, args: None if np.min(got) >= 0 else "negative")
    assert nonneg.check(lambda a: 0.0 * a - 1e-6).message == "f(arr): negative"

    multiset = FunctionQuestion(**base, reference=lambda w: ["a", "b", "b"], cases=[("f('x')", ("x",))],
                                prepare=sorted)
    assert multiset.check(lambda w: ["b", "a", "b"]).status == "pass"
    assert multiset.check(lambda w: {"a", "b"}).status == "incorrect"


def test_expected_values_are_computed_once():
    calls = []
    q = ValueQuestion(qid="test.lazy", title="lazy", name="v", hint_text="", solution_text="",
                      expected_fn=lambda: calls.append(1) or {"a": 2.0})
    assert not calls
    assert q.check({"a": 2.0}).status == "pass" and q.check({"a": 3.0}).status == "incorrect"
    assert calls == [1]
    assert q.check({"a": ...}).status == "not-yet"
