"""tools/markdown_math.py: formulas kept on one line, as JupyterLab reads them."""
import sys
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.markdown_math import join_math_lines  # noqa: E402

ITEM = "2. $\\partial L = a\n   + \\sum_k b_k$, from\n   the chain rule."


def test_a_continuation_line_no_longer_starts_a_bullet():
    joined = join_math_lines(ITEM)
    assert joined == "2. $\\partial L = a + \\sum_k b_k$, from\n   the chain rule."
    md = MarkdownIt("commonmark")
    assert "<ul>" in md.render(ITEM) and "<ul>" not in md.render(joined)


def test_display_math_code_and_dollars_are_kept():
    text = "$$\nA\n+ B\n$$\n\n`$a + b$` and\n```\n$x\n+ y$\n```\ncosts \\$5 and $3, and $a$\n\n$b$"
    out = join_math_lines(text)
    assert out.startswith("$$ A + B $$\n\n")
    assert "`$a + b$` and\n```\n$x\n+ y$\n```" in out   # code untouched
    assert "\\$5 and $3, and $a$\n\n$b$" in out        # no formula across a blank line
