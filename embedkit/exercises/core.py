"""Instant, offline feedback for exercise notebooks (in the spirit of Kaggle Learn).

Each exercise notebook imports its questions, e.g. ``from embedkit.exercises.ex01 import
q1, q2``, and the learner calls ``q1.check(answer)``, ``q1.hint()`` or ``q1.solution()``.

``check`` never raises. It prints one of three verdicts and records it:

* ``pass``: the answer is correct;
* ``not-yet``: the answer is still the stub (``None``, ``...``, or a function that raises
  ``NotImplementedError`` / returns ``None``);
* ``incorrect``: with the specific reason: which input failed, what came back, what was
  expected, or which exception the learner's code raised.

Verdicts are kept in ``RESULTS`` (question id -> status) and, when the environment
variable ``EMBEDKIT_CHECK_LOG`` names a file, appended to it as JSON lines, which is how
the test suite confirms that solutions pass and stubs report not-yet.
"""
from __future__ import annotations

import json
import math
import os
import textwrap
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

__all__ = ["Question", "FunctionQuestion", "ValueQuestion", "Verdict", "RESULTS", "approx_equal"]

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
    element; everything else with ``==``.
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
    if isinstance(expected, (np.ndarray, list, tuple)) and not isinstance(expected, str):
        exp = np.asarray(expected)
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
    """One exercise question: ``check(answer)``, ``hint()``, ``solution()``.

    Subclasses implement ``_evaluate(answer) -> Verdict``.
    """

    qid: str
    title: str
    hint_text: str
    solution_text: str
    _hint_shown: bool = field(default=False, repr=False)

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

    def hint(self) -> None:
        print(f"💡 Hint ({self.title}):\n" + textwrap.indent(textwrap.dedent(self.hint_text).strip(), "  "))

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
            line += f"\n   Run {self.qid.split('.')[-1]}.hint() for a nudge."
        elif verdict.status == INCORRECT:
            line += f"\n   Stuck? {self.qid.split('.')[-1]}.hint() gives a nudge, .solution() the answer."
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
    """The answer is a value (number, array, dict, set, ...) compared with ``expected``."""

    expected: Any = None
    atol: float = 1e-4
    rtol: float = 1e-4
    name: str = "answer"

    def _evaluate(self, answer: Any) -> Verdict:
        if _is_stub_value(answer):
            raise _Stub(f"`{self.name}` is still a placeholder; replace the ... with your answer")
        ok, why = approx_equal(answer, self.expected, atol=self.atol, rtol=self.rtol)
        return Verdict(PASS) if ok else Verdict(INCORRECT, f"`{self.name}`: {why}")


@dataclass
class FunctionQuestion(Question):
    """The answer is a function, called on each test case and compared with a reference.

    ``cases`` is a list of ``(label, args)``; the expected value of a case is
    ``reference(*args)``. The label names the input in feedback, e.g. ``"cos(A, C)"``.
    """

    reference: Callable[..., Any] | None = None
    cases: list[tuple[str, tuple]] = field(default_factory=list)
    atol: float = 1e-4
    rtol: float = 1e-4
    name: str = "function"

    def _evaluate(self, answer: Any) -> Verdict:
        if _is_stub_value(answer):
            raise _Stub(f"`{self.name}` is not defined yet")
        if not callable(answer):
            return Verdict(INCORRECT, f"expected a function, got {_short(answer)}")
        for label, args in self.cases:
            copies = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
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
            expected = self.reference(*args)
            ok, why = approx_equal(got, expected, atol=self.atol, rtol=self.rtol)
            if not ok:
                return Verdict(INCORRECT, f"{label}: {why}")
        return Verdict(PASS, f"all {len(self.cases)} test inputs agree with the reference")
