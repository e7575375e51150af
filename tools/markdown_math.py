"""Keep each formula on one line before a Markdown parser sees it.

JupyterLab lifts ``$...$`` and ``$$...$$`` out of a Markdown cell before parsing the rest,
so a formula may run over several lines, even one whose continuation starts with ``+``:

    2. $\\partial L / \\partial \\mathbf u = (\\sigma(s_+) - 1)\\mathbf v_+
       + \\sum_k \\sigma(s_k)\\mathbf v_k$

Parsers that read math inline after the block structure (MyST for the website, the
flashcards' renderer, GitHub) see ``+ \\sum_k ...`` as a new bullet and break the formula
apart. Joining the formula's lines (a newline inside TeX is a space anyway) renders it the
way JupyterLab does. Code spans and fenced code are left alone.
"""
from __future__ import annotations

import re

_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
# $$...$$ first, then $...$ (not \$, not empty); a blank line ends inline math, as in Markdown
_MATH = re.compile(r"\$\$.+?\$\$|(?<![\\$])\$(?=\S)(?:[^$\\]|\\.)+?(?<![\s\\])\$", re.S)


def _join(match: re.Match) -> str:
    span = match.group(0)
    if "\n\n" in span.strip("$"):
        return span                       # not one formula: leave the text as written
    return re.sub(r"[ \t]*\n[ \t]*", " ", span)


def join_math_lines(markdown: str) -> str:
    """``markdown`` with every multi-line ``$...$`` / ``$$...$$`` formula on one line."""
    parts = _CODE.split(markdown)
    for i in range(0, len(parts), 2):     # even indices: text outside code
        parts[i] = _MATH.sub(_join, parts[i])
    return "".join(parts)
