"""Instant, offline feedback for exercise notebooks (in the spirit of Kaggle Learn).

Each exercise notebook imports its questions, e.g. ``from embedkit.exercises.ex01 import
q1, q2``, and the learner calls ``q1.check(answer)``, ``q1.hint()`` or ``q1.solution()``.

``check`` never raises. It prints one of three verdicts and records it:

* ``pass``: the answer is correct;
* ``not-yet``: the answer is still the stub (``None``, ``...``, or a function that raises
  ``NotImplementedError`` / returns ``None``);
* ``incorrect``: with the specific reason: which input failed, what came back, what was
  expected, or which exception the learner's code raised.

Hints come in tiers: ``hint_text`` is one string or a list of them, from a nudge to
nearly the answer. ``q1.hint()`` shows the next tier each time it is called,
``q1.hint(2)`` a given one.

A question with parts is a ``MultiPartQuestion``: ``q3.a.check(...)``, ``q3.b.hint()``;
each part is an ordinary question whose id ends in the part's letter (``ex05.q3.a``).

Verdicts are kept in ``RESULTS`` (question id -> status) and, when the environment
variable ``EMBEDKIT_CHECK_LOG`` names a file, appended to it as JSON lines, which is how
the test suite confirms that solutions pass and stubs report not-yet.

What makes a checker catch real mistakes (``tests/exercises`` holds, for every question,
plausible wrong answers that must be rejected): test inputs that are asymmetric where
the learner could confuse rows and columns, extreme magnitudes where a formula can
overflow, exact zeros and boundary points, sizes where a shortcut shows; and, where the
prompt asks for them, the checks ``FunctionQuestion`` can add on top of the value: that
inputs are left unchanged (``keep_inputs``), the dtype (``dtype``) and any property of
the answer (``validate``).
"""
from __future__ import annotations

import json
import math
import os
import textwrap
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Question", "FunctionQuestion", "ValueQuestion", "MultiPartQuestion", "Verdict", "RESULTS",
           "approx_equal", "leaf_questions"]

PASS, NOT_YET, INCORRECT = "pass", "not-yet", "incorrect"
RESULTS: dict[str, str] = {}
_SYMBOL = {PASS: "✅ Correct", NOT_YET: "⏳ Not yet", INCORRECT: "❌ Incorrect"}


@dataclass
class Verdict:
    status: str
    message: str = ""


class _Stub(Exception):
    """Raised internally when the learner's answer is still the unfinished stub."""


def _short(value: Any, limit: int = 120) -> str:
    """A compact, deterministic repr for feedback messages (rounded floats)."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=20):
            text = f"array(shape={value.shape}, dtype={value.dtype}) " + np.array2string(value)
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def approx_equal(got: Any, expected: Any, *, atol: float = 1e-4, rtol: float = 1e-4) -> tuple[bool, str]:
    """Compare an answer with the expected value; returns (ok, reason-if-not).

    Numbers and arrays compare with tolerances, dicts key by key, sequences element by
    element; everything else with ``==``. NaN never equals anything.
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return False, f"expected a dict, got {type(got).__name__}"
        missing = [k for k in expected if k not in got]
        if missing:
            return False, f"missing key {missing[0]!r}"
        extra = [k for k in got if k not in expected]
        if extra:
            return False, f"unexpected key {extra[0]!r}"
        for key in expected:
            ok, why = approx_equal(got[key], expected[key], atol=atol, rtol=rtol)
            if not ok:
                return False, f"at key {key!r}: {why}"
        return True, ""
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(got, (bool, np.bool_)):
            return False, f"expected True or False, got {_short(got)}"
        return (bool(got) == bool(expected)), f"got {bool(got)}, expected {bool(expected)}"
    if isinstance(expected, (int, float, np.integer, np.floating)):
        try:
            g = float(np.asarray(got, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            return False, f"expected a number, got {_short(got)}"
        if math.isnan(g) or not math.isclose(g, float(expected), rel_tol=rtol, abs_tol=atol):
            return False, f"got {g:.6g}, expected {float(expected):.6g}"
        return True, ""
    if isinstance(expected, (np.ndarray, list, tuple)):
        try:
            exp = np.asarray(expected)
        except ValueError:          # a ragged sequence, e.g. (distances, ids) of two shapes
            exp = np.asarray(None)
        if exp.dtype.kind in "fiub":
            try:
                g = np.asarray(got, dtype=np.float64)
            except (TypeError, ValueError):
                return False, f"expected an array of numbers, got {_short(got)}"
            if g.shape != exp.shape:
                return False, f"expected shape {exp.shape}, got shape {g.shape}"
            bad = ~np.isclose(g, exp, rtol=rtol, atol=atol)
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                return False, f"at index {where}: got {g[where]:.6g}, expected {float(exp[where]):.6g}"
            return True, ""
        if isinstance(expected, (list, tuple)):
            try:
                g = list(got)
            except TypeError:
                return False, f"expected a sequence, got {_short(got)}"
            if len(g) != len(expected):
                return False, f"expected {len(expected)} items, got {len(g)}: {_short(got)}"
            for i, (a, b) in enumerate(zip(g, expected)):
                ok, why = approx_equal(a, b, atol=atol, rtol=rtol)
                if not ok:
                    return False, f"at item {i}: {why}"
            return True, ""
    if isinstance(expected, (set, frozenset)):
        try:
            g = set(got)
        except TypeError:
            return False, f"expected a set, got {_short(got)}"
        if g != expected:
            parts = []
            if expected - g:
                parts.append(f"missing {sorted(map(str, expected - g))}")
            if g - expected:
                parts.append(f"should not contain {sorted(map(str, g - expected))}")
            return False, "; ".join(parts)
        return True, ""
    return (got == expected), f"got {_short(got)}, expected {_short(expected)}"


@dataclass
class Question:
    """One exercise question: ``check(answer)``, ``hint(level)``, ``solution()``.

    ``hint_text`` is one hint or a list of hints in increasing detail (the last one nearly
    the answer). Subclasses implement ``_evaluate(answer) -> Verdict``.
    """

    qid: str
    title: str
    hint_text: str | Sequence[str]
    solution_text: str
    _hints_shown: int = field(default=0, repr=False)

    @property
    def hints(self) -> list[str]:
        """The hints, nudge first."""
        texts = [self.hint_text] if isinstance(self.hint_text, str) else list(self.hint_text)
        return [textwrap.dedent(t).strip() for t in texts]

    @property
    def label(self) -> str:
        """How the learner refers to the question: ``q3`` or ``q3.a`` (the id without ``exNN.``)."""
        return self.qid.split(".", 1)[1] if "." in self.qid else self.qid

    def qids(self) -> list[str]:
        """The ids whose verdicts the tests read (a multi-part question has one per part)."""
        return [self.qid]

    def check(self, answer: Any = ...) -> Verdict:
        """Print and record a verdict on ``answer``; never raises."""
        try:
            verdict = self._evaluate(answer)
        except _Stub as stub:
            verdict = Verdict(NOT_YET, str(stub))
        except Exception as err:  # a bug in the checker must not look like the learner's
            verdict = Verdict(INCORRECT, f"the checker could not evaluate this answer ({err!r})")
        self._report(verdict)
        return verdict

    def hint(self, level: int | None = None) -> None:
        """Print hint number ``level`` (1 = a nudge); without it, the next one not yet shown."""
        hints = self.hints
        if level is None:
            level = min(self._hints_shown + 1, len(hints))
        if not isinstance(level, (int, np.integer)) or isinstance(level, bool) or not 1 <= level <= len(hints):
            print(f"{self.label} has hints 1 to {len(hints)}; got level={level!r}")
            return
        level = int(level)
        self._hints_shown = max(self._hints_shown, level)
        tier = "" if level == 1 else f" {level} of {len(hints)}"
        print(f"💡 Hint{tier} ({self.title}):\n" + textwrap.indent(hints[level - 1], "  "))

    def solution(self) -> None:
        print(f"📖 Solution ({self.title}):\n" + textwrap.indent(textwrap.dedent(self.solution_text).strip(), "    "))

    # -- internals ---------------------------------------------------------------------
    def _evaluate(self, answer: Any) -> Verdict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _report(self, verdict: Verdict) -> None:
        RESULTS[self.qid] = verdict.status
        line = f"{_SYMBOL[verdict.status]} — {self.title}"
        if verdict.message:
            line += f": {verdict.message}"
        if verdict.status == NOT_YET:
            line += f"\n   Run {self.label}.hint() for a nudge."
        elif verdict.status == INCORRECT:
            line += f"\n   Stuck? {self.label}.hint() gives a nudge, .solution() the answer."
        print(line)
        log = os.environ.get("EMBEDKIT_CHECK_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"question": self.qid, "status": verdict.status,
                                     "message": verdict.message}) + "\n")


def _is_stub_value(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


@dataclass
class ValueQuestion(Question):
    """The answer is a value (number, array, dict, set, ...) compared with ``expected``.

    ``expected_fn``, when given instead of ``expected``, computes the expected value on the
    first check (for an experiment whose answer takes seconds to compute).
    """

    expected: Any = None
    atol: float = 1e-4
    rtol: float = 1e-4
    name: str = "answer"
    expected_fn: Callable[[], Any] | None = None

    def expected_value(self) -> Any:
        if self.expected is None and self.expected_fn is not None:
            self.expected = self.expected_fn()
        return self.expected

    def _evaluate(self, answer: Any) -> Verdict:
        if _is_stub_value(answer):
            raise _Stub(f"`{self.name}` is still a placeholder; replace the ... with your answer")
        expected = self.expected_value()
        if isinstance(answer, dict) and isinstance(expected, dict):
            stubs = [k for k in expected if k in answer and _is_stub_value(answer[k])]
            if stubs and len(stubs) == len(expected):
                raise _Stub(f"`{self.name}` is still a placeholder; replace the ... with your answers")
        ok, why = approx_equal(answer, expected, atol=self.atol, rtol=self.rtol)
        return Verdict(PASS) if ok else Verdict(INCORRECT, f"`{self.name}`: {why}")


def _copy_arg(a: Any) -> Any:
    """A deep enough copy of a test input that the learner's code may change freely."""
    if isinstance(a, np.ndarray):
        return np.array(a, copy=True)
    if isinstance(a, list):
        return [_copy_arg(x) for x in a]
    if isinstance(a, dict):
        return {k: _copy_arg(v) for k, v in a.items()}
    return a


def _same_arg(a: Any, b: Any) -> bool:
    """Whether a test input is unchanged (exact comparison, NaN equal to NaN)."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype and \
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same_arg(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_arg(a[k], b[k]) for k in a)
    return True


@dataclass
class FunctionQuestion(Question):
    """The answer is a function, called on each test case and compared with a reference.

    ``cases`` is a list of ``(label, args)``; the expected value of a case is
    ``reference(*args)``. The label names the input in feedback, e.g. ``"cos(A, C)"``.

    Optional checks, each reported with the case's label:

    * ``keep_inputs``: the function must leave its (array, list, dict) arguments
      unchanged, as the prompt says; the function always receives copies, so the
      reference never sees a change.
    * ``dtype``: ``"exact"`` requires the dtype of the expected array (``uint8`` codes
      must not come back as ``int64``); ``"integer"`` requires any integer dtype.
    * ``validate(got, args)``: returns a message when the answer breaks a property the
      value comparison cannot see (e.g. a squared distance below zero), else ``None``.
    * ``prepare(got)``: puts the answer in a canonical form before the comparison, where
      the question leaves something free (``sorted`` for "in any order, repeats count").
    """

    reference: Callable[..., Any] | None = None
    cases: list[tuple[str, tuple]] = field(default_factory=list)
    atol: float = 1e-4
    rtol: float = 1e-4
    name: str = "function"
    keep_inputs: bool = False
    dtype: str | None = None
    validate: Callable[[Any, tuple], str | None] | None = None
    prepare: Callable[[Any], Any] | None = None
    _expected: dict = field(default_factory=dict, repr=False)

    def expected_value(self, i: int) -> Any:
        """The reference's answer on case ``i`` (computed once)."""
        if i not in self._expected:
            self._expected[i] = self.reference(*self.cases[i][1])
        return self._expected[i]

    def _evaluate(self, answer: Any) -> Verdict:
        if _is_stub_value(answer):
            raise _Stub(f"`{self.name}` is not defined yet")
        if not callable(answer):
            return Verdict(INCORRECT, f"expected a function, got {_short(answer)}")
        for i, (label, args) in enumerate(self.cases):
            copies = tuple(_copy_arg(a) for a in args)
            try:
                # Learner code may divide by zero on purpose-built edge cases: report the
                # result, not a RuntimeWarning on stderr.
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    got = answer(*copies)
            except NotImplementedError:
                raise _Stub(f"`{self.name}` still raises NotImplementedError") from None
            except Exception as err:
                frame = traceback.extract_tb(err.__traceback__)[-1]
                return Verdict(INCORRECT, f"{label} raised {type(err).__name__}: {err} "
                                          f"(line {frame.lineno}: `{(frame.line or '').strip()}`)")
            if got is None:
                raise _Stub(f"`{self.name}` returned None on {label}: did you forget `return`?")
            expected = self.expected_value(i)
            if self.prepare is not None:
                try:
                    got = self.prepare(got)
                except Exception as err:
                    return Verdict(INCORRECT, f"{label}: unexpected answer {_short(got)} ({err})")
            ok, why = approx_equal(got, expected, atol=self.atol, rtol=self.rtol)
            if not ok:
                return Verdict(INCORRECT, f"{label}: {why}")
            why = self._extra_checks(got, expected, args, copies)
            if why:
                return Verdict(INCORRECT, f"{label}: {why}")
        return Verdict(PASS, f"all {len(self.cases)} test inputs agree with the reference")

    def _extra_checks(self, got: Any, expected: Any, args: tuple, copies: tuple) -> str | None:
        if self.keep_inputs:
            for n, (a, b) in enumerate(zip(args, copies), start=1):
                if not _same_arg(a, b):
                    return (f"`{self.name}` changed its argument {n} in place; the question asks "
                            f"to leave the inputs unchanged (work on a copy)")
        if self.dtype and isinstance(expected, np.ndarray):
            got_dtype = np.asarray(got).dtype
            if self.dtype == "exact" and got_dtype != expected.dtype:
                return f"expected dtype {expected.dtype}, got {got_dtype}"
            if self.dtype == "integer" and got_dtype.kind not in "iu":
                return f"expected integers, got dtype {got_dtype}"
        if self.validate is not None:
            return self.validate(got, args)
        return None


class MultiPartQuestion:
    """A question in parts, each an ordinary question reached as an attribute.

        q3 = MultiPartQuestion("ex05.q3", "Q3 the GloVe gradient", a=part_a, b=part_b)
        q3.a.check(grad_W); q3.b.hint(2)

    Each part's id must be the question's id plus ``.letter``. ``q3.check()`` prints the
    verdict recorded so far for every part.
    """

    def __init__(self, qid: str, title: str, **parts: Question):
        if not parts:
            raise ValueError(f"{qid}: a multi-part question needs at least one part")
        for key, part in parts.items():
            if part.qid != f"{qid}.{key}":
                raise ValueError(f"part {key!r} of {qid} must have qid {qid}.{key}, got {part.qid}")
        self.qid, self.title, self.parts = qid, title, dict(parts)
        for key, part in parts.items():
            setattr(self, key, part)

    @property
    def label(self) -> str:
        return self.qid.split(".", 1)[1] if "." in self.qid else self.qid

    def qids(self) -> list[str]:
        return [q for part in self.parts.values() for q in part.qids()]

    def check(self, *args: Any) -> None:
        names = ", ".join(f"{self.label}.{k}" for k in self.parts)
        if args:
            print(f"{self.title} has parts ({names}): check each one, e.g. {self.label}.a.check(...)")
            return
        for key, part in self.parts.items():
            status = RESULTS.get(part.qid)
            print(f"{self.label}.{key}: {_SYMBOL.get(status, 'not checked yet')} — {part.title}")

    def hint(self, level: int | None = None) -> None:
        print(f"{self.title} has parts: ask each one, e.g. {self.label}.a.hint()")

    def solution(self) -> None:
        for part in self.parts.values():
            part.solution()


def leaf_questions(questions: Sequence[Question | MultiPartQuestion]) -> list[Question]:
    """Every checkable question of a list, parts of multi-part questions included."""
    out: list[Question] = []
    for q in questions:
        out.extend(q.parts.values() if isinstance(q, MultiPartQuestion) else [q])
    return out
