"""JupyterLab's Markdown, rewritten so that other Markdown parsers render it the same way.

The course's notebooks are written for JupyterLab, which lifts ``$...$`` and ``$$...$$``
out of a cell before parsing the Markdown and typesets math wherever it stands. Parsers
that follow CommonMark to the letter (MyST for the website, the flashcards' renderer,
GitHub) differ in two ways this module smooths over, without changing what the text says:

* ``join_math_lines``: a formula written over several lines is joined onto one (a newline
  in TeX is a space). Otherwise a continuation line that starts with ``+`` becomes a new
  bullet and breaks the formula apart::

      2. $\\partial L / \\partial \\mathbf u = (\\sigma(s_+) - 1)\\mathbf v_+
         + \\sum_k \\sigma(s_k)\\mathbf v_k$

* ``open_details``: an answer folded as ``<details><summary>Answer</summary>text</details>``
  with no blank lines is, in CommonMark, one block of raw HTML, so its math and
  formatting stay raw text. Blank lines (at the item's indentation) around the text make
  it Markdown again, inside the same folded block.

Code spans and fenced code are left alone.
"""
from __future__ import annotations

import re

_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
# $$...$$ first, then $...$ (not \$, not empty); a blank line ends inline math, as in Markdown
_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?=\S)(?:[^$\\]|\\.)+?(?<![\s\\])\$", re.S)
# <details><summary>...</summary>body</details>, the body starting on the summary's line
_DETAILS = re.compile(r"^(?P<indent>[ \t]*)<details>\s*(?P<summary><summary>.*?</summary>)[ \t]*(?P<body>\S.*?)"
                      r"\s*</details>", re.S | re.M)


def _outside_code(markdown: str, fix) -> str:
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):     # even indices: text outside code
        parts[i] = fix(parts[i])
    return "".join(parts)


def _join(match: re.Match) -> str:
    span = match.group(0)
    if "\n\n" in span.strip("$"):
        return span                       # not one formula: leave the text as written
    return re.sub(r"[ \t]*\n[ \t]*", " ", span)


def join_math_lines(markdown: str) -> str:
    """``markdown`` with every multi-line ``$...$`` / ``$$...$$`` formula on one line."""
    return _outside_code(markdown, lambda text: _MATH.sub(_join, text))


def _open(match: re.Match) -> str:
    indent = match.group("indent")
    return (f"{indent}<details>{match.group('summary')}\n\n{indent}{match.group('body')}\n\n"
            f"{indent}</details>")


def open_details(markdown: str) -> str:
    """``markdown`` with each one-block ``<details>`` answer opened up into Markdown."""
    return _DETAILS.sub(_open, markdown)


def portable(markdown: str) -> str:
    """Both rewrites: what the website and the flashcards parse."""
    return open_details(join_math_lines(markdown))
