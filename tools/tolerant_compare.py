"""Compare a notebook's stored text output with a fresh run: words exactly, numbers within noise.

nbval compares outputs as strings, so a stored ``0.0878`` fails against a fresh ``0.0875``
even when the difference is only the instruction set the CPU used (AVX-512 vs SSE sums
reduce in another order, and training amplifies the last bits). This module decides
whether two texts say the same thing:

* The text is split into tokens: numbers, words (any other run of non-space characters)
  and line breaks. Runs of spaces are layout, not content (a number that grows a digit
  shifts a right-aligned column by one).
* Words, punctuation and line structure must match exactly: a changed word, a reordered
  list or a missing line always fails.
* Integers (no decimal point, no exponent) must match exactly: they are counts, ids,
  shapes and sizes, which no rounding noise may change.
* Numbers written with a decimal point or an exponent are measurements. They match when

      |a - b| <= max(REL_TOL * max(|a|, |b|), UNITS * unit)

  where ``unit`` is one unit of the last printed digit (0.001 for ``0.475``; 1e-8 for
  ``1.6e-08``), taken from the coarser of the two representations.

Why these tolerances: across CPUs the course's printed training results (torch, faiss
k-means, gensim) were seen to move by 1-3 units of the last printed digit and by at most
0.4% relative (issue "The test suite passes on any machine"). Two units of the last digit
absorbs the rounding of a value that sits on a rounding boundary plus one unit of noise;
1% relative absorbs noise in numbers printed with more digits than their computation
supports. Anything bigger than both is a real change and fails. A cell whose numbers vary
more (timings, t-SNE layouts) is marked ``# NBVAL_IGNORE_OUTPUT`` instead and carries an
``assert`` with its own tolerance.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

DEFAULT_REL_TOL, DEFAULT_UNITS = 1e-2, 2
REL_TOL = float(os.environ.get("EMBEDKIT_NBVAL_REL_TOL", DEFAULT_REL_TOL))
UNITS = int(os.environ.get("EMBEDKIT_NBVAL_UNITS", DEFAULT_UNITS))
# (The two variables exist to hunt for fragile cells: a run with half the tolerance,
# EMBEDKIT_NBVAL_UNITS=1 EMBEDKIT_NBVAL_REL_TOL=5e-3, lists the outputs closest to the edge.)

# A number starts where no word character or dot precedes it ("PQ16", "gw0" and "1.2.3"
# stay words); thousands separators ("16,233") belong to the number.
_NUMBER = r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.]*\d)"
_TOKEN = re.compile(rf"(?P<newline>\n)|(?P<number>{_NUMBER})|(?P<word>[^\s\d]+|\S)")


@dataclass(frozen=True)
class Token:
    kind: str        # "newline", "number" or "word"
    text: str
    line: int        # 1-based line of the token, for messages

    @property
    def is_float(self) -> bool:
        return self.kind == "number" and any(c in self.text for c in ".eE")


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into number, word and newline tokens (runs of spaces dropped)."""
    tokens, line = [], 1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(), line))
        if kind == "newline":
            line += 1
    return tokens


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def last_digit_unit(text: str) -> float:
    """One unit of the last printed digit: ``0.475`` -> 0.001, ``1.6e-08`` -> 1e-9, ``12`` -> 1."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def numbers_match(expected: str, got: str, *, rel_tol: float | None = None, units: int | None = None) -> bool:
    """Whether two printed numbers agree (see the module docstring for the rule)."""
    rel_tol = REL_TOL if rel_tol is None else rel_tol
    units = UNITS if units is None else units
    if not (Token("number", expected, 0).is_float or Token("number", got, 0).is_float):
        return _value(expected) == _value(got)     # integers: exact
    a, b = _value(expected), _value(got)
    unit = max(last_digit_unit(expected), last_digit_unit(got))
    allowed = max(rel_tol * max(abs(a), abs(b)), units * unit)
    return abs(a - b) <= allowed * (1 + 1e-9)    # 1.05 - 1.04 is 0.010000000000000009 in binary


def _show(token: Token | None) -> str:
    if token is None:
        return "the end of the output"
    return "a line break" if token.kind == "newline" else repr(token.text)


def explain_mismatch(expected: str, got: str, *, rel_tol: float | None = None,
                     units: int | None = None) -> str | None:
    """None when the texts match; otherwise a sentence naming the first difference."""
    rel_tol = REL_TOL if rel_tol is None else rel_tol
    units = UNITS if units is None else units
    want, have = tokenize(expected), tokenize(got)
    for i in range(max(len(want), len(have))):
        w = want[i] if i < len(want) else None
        h = have[i] if i < len(have) else None
        if w is not None and h is not None and w.kind == h.kind:
            if w.kind == "number":
                if numbers_match(w.text, h.text, rel_tol=rel_tol, units=units):
                    continue
                if w.is_float or h.is_float:
                    unit = max(last_digit_unit(w.text), last_digit_unit(h.text))
                    allowed = max(rel_tol * max(abs(_value(w.text)), abs(_value(h.text))), units * unit)
                    return (f"line {w.line}: number {w.text} became {h.text}, a difference of "
                            f"{abs(_value(w.text) - _value(h.text)):.3g}, more than the tolerance "
                            f"{allowed:.3g} (relative {rel_tol:g} or {units} units of the last digit)")
                return f"line {w.line}: integer {w.text} became {h.text} (integers must match exactly)"
            if w.text == h.text:
                continue
        line = (w or h).line
        return f"line {line}: expected {_show(w)}, got {_show(h)}"
    return None


class TolerantText(str):
    """A ``str`` whose ``==`` is :func:`explain_mismatch` returning None.

    nbval compares sanitized outputs with ``ref != test``; handing it these strings makes
    that one comparison tolerant while every other use of the text stays a plain string.
    """

    def __eq__(self, other):
        if not isinstance(other, str):
            return NotImplemented
        return explain_mismatch(str(self), str(other)) is None

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = str.__hash__


def install_in_nbval() -> None:
    """Make nbval's output comparison tolerant and explain each mismatch it reports."""
    from nbval.plugin import IPyNbCell

    sanitize, format_compare = IPyNbCell.sanitize, IPyNbCell.format_output_compare

    def tolerant_sanitize(self, s):
        s = sanitize(self, s)
        return TolerantText(s) if isinstance(s, str) else s

    def explained_format_compare(self, key, left, right):
        format_compare(self, key, left, right)
        if isinstance(left, str) and isinstance(right, str):
            reason = explain_mismatch(str(left), str(right))
            if reason:
                self.comparison_traceback.append(f"  first difference (numbers compared with tolerance): {reason}")

    IPyNbCell.sanitize = tolerant_sanitize
    IPyNbCell.format_output_compare = explained_format_compare
