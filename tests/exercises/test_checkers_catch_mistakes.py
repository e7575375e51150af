"""Every exercise checker rejects the plausible wrong answers and passes a right one.

For each lesson, ``answers_exNN.py`` holds, per question id, a correct answer and at least
three labelled wrong ones ("mutants"), each the mistake a learner plausibly makes: a wrong
axis, a missing normalisation, unstable numerics, an off-by-one window, a partial sort
left unsorted, an input mutated in place, a wrong dtype, ... A mutant counts as caught
when the checker says *incorrect* with a message that names the failing input (the case
label of a function question, the answer's name for a value question); a checker that
lets one through, or crashes on it, fails here. Answers that come from an experiment are
wrapped in ``deferred.Deferred`` and computed when their test runs.
"""
import contextlib
import importlib
import io
from pathlib import Path

import pytest
from deferred import resolve

from embedkit.exercises import leaf_questions
from embedkit.exercises.core import FunctionQuestion

HERE = Path(__file__).resolve().parent
LESSONS = sorted(p.stem.removeprefix("answers_") for p in HERE.glob("answers_ex*.py"))
MIN_MUTANTS = 3


def _questions(lesson):
    module = importlib.import_module(f"embedkit.exercises.{lesson}")
    return {q.qid: q for q in leaf_questions(module.QUESTIONS)}


def _answers(lesson):
    return importlib.import_module(f"answers_{lesson}").ANSWERS


def _check(question, answer):
    with contextlib.redirect_stdout(io.StringIO()):      # the verdict line is not needed
        return question.check(answer)


def _cases():
    for lesson in LESSONS:
        for qid, entry in _answers(lesson).items():
            for label, _ in entry["mutants"]:
                yield pytest.param(lesson, qid, label, id=f"{qid}::{label}")


def test_every_exercise_module_has_answers():
    modules = sorted(p.stem for p in (HERE.parent.parent / "embedkit" / "exercises").glob("ex[0-9][0-9].py"))
    written_by_this_suite = [m for m in modules if int(m[2:]) <= 18 or m == "ex20"]
    assert set(written_by_this_suite) <= set(LESSONS), sorted(set(written_by_this_suite) - set(LESSONS))


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_question_has_a_solution_and_enough_labelled_mutants(lesson):
    questions, answers = _questions(lesson), _answers(lesson)
    assert set(answers) == set(questions), f"{lesson}: answers for {sorted(answers)} vs questions {sorted(questions)}"
    for qid, entry in answers.items():
        labels = [label for label, _ in entry["mutants"]]
        assert len(labels) >= MIN_MUTANTS, f"{qid}: {len(labels)} mutants, want >= {MIN_MUTANTS}"
        assert len(set(labels)) == len(labels) and all(len(lb.split()) >= 2 for lb in labels), \
            f"{qid}: each mutant needs its own descriptive label: {labels}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_solution_passes(lesson):
    questions = _questions(lesson)
    for qid, entry in _answers(lesson).items():
        verdict = _check(questions[qid], resolve(entry["solution"]))
        assert verdict.status == "pass", f"{qid}: the solution got {verdict.status}: {verdict.message}"


@pytest.mark.parametrize("lesson, qid, label", list(_cases()))
def test_the_checker_rejects_the_mutant(lesson, qid, label):
    question = _questions(lesson)[qid]
    answer = resolve(dict(_answers(lesson)[qid]["mutants"])[label])
    verdict = _check(question, answer)
    assert verdict.status == "incorrect", f"{qid} let '{label}' through ({verdict.status}: {verdict.message})"
    assert "the checker could not evaluate" not in verdict.message, verdict.message
    if isinstance(question, FunctionQuestion):
        named = [lb for lb, _ in question.cases if verdict.message.startswith(lb)]
        assert named, f"{qid}: the message does not name the failing input: {verdict.message}"
    else:
        assert f"`{question.name}`" in verdict.message, f"{qid}: the message does not name the answer: {verdict.message}"
