"""tools/lab_markdown.py: JupyterLab's Markdown, rendered the same by CommonMark parsers."""
import sys
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.lab_markdown import join_math_lines  # noqa: E402

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


FOLDED = ("1. **Why?**\n   <details><summary>Answer</summary>Because $a\\cdot b$ has\n"
          "   variance $d$.</details>\n2. **Next?**")


def test_a_one_block_folded_answer_becomes_markdown_inside_the_fold():
    from tools.lab_markdown import open_details, portable

    md = MarkdownIt("commonmark", {"html": True})
    assert "<p>Because" not in md.render(FOLDED)          # raw HTML: no Markdown inside
    opened = open_details(FOLDED)
    assert opened == ("1. **Why?**\n   <details><summary>Answer</summary>\n\n   Because $a\\cdot b$ has\n"
                      "   variance $d$.\n\n   </details>\n2. **Next?**")
    html = md.render(opened)
    assert "<p>Because" in html and html.index("<details>") < html.index("Because") < html.index("</details>")
    assert html.count("<li>") == 2                       # still two items of one list
    already = "<details>\n<summary>Answers</summary>\n\n1. x\n\n</details>"
    assert portable(already) == already                  # a fold already written as Markdown
