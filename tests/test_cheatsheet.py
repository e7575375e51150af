"""`make cheatsheet`: every lesson contributes its Key takeaways to one HTML page."""
import html
import re
import sys
from pathlib import Path

import pytest

from embedkit import course

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.build_cheatsheet import build, cheatsheet_notebook  # noqa: E402

LESSONS = course.lesson_notebooks()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = build(tmp_path_factory.mktemp("cheat") / "cheatsheet.html")
    return out.read_text(encoding="utf-8")


def _plain(markdown: str) -> str:
    """First words of a takeaway bullet, without markdown/math, to find in the HTML."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)     # [text](link) -> text
    text = re.sub(r"\$[^$]*\$", " ", text)                          # math: typeset later
    text = re.sub(r"[`*_]", "", text)
    return re.sub(r" ([,.;:)])", r"\1", " ".join(text.split()[:4]))


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_notebook_contributes(path, page):
    body = course.takeaways(path)
    bullets = [b for b in re.split(r"^- ", body, flags=re.M) if b.strip()]
    assert len(bullets) >= 2, f"{path.name}: the takeaway cell should list at least 2 points"
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    text = " ".join(re.sub(r"\$[^$]*\$", " ", text).split())
    text = re.sub(r" ([,.;:)])", r"\1", text)
    assert course.notebook_title(path) in text
    for bullet in bullets:
        probe = _plain(bullet)
        assert probe and probe in text, f"{path.name}: takeaway {probe!r} missing from the cheat sheet"
    assert f'{path.name}"' in page      # the link back to the lesson


def test_a_notebook_without_takeaways_is_refused(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · Empty")])
    path = tmp_path / "99_empty.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="99_empty.ipynb has no cell tagged 'takeaway'"):
        cheatsheet_notebook([path], "")


def test_the_page_loads_nothing_from_the_network(page, tmp_path_factory):
    """MathJax comes from the copy written beside the page (math renders offline)."""
    from tools.mathjax import MATHJAX_QUERY

    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    assert scripts == [f"mathjax/MathJax.js?{MATHJAX_QUERY}"], scripts
    assert not re.findall(r'<link[^>]*href="https?://', page)
    out = build(tmp_path_factory.mktemp("cheat2") / "cheatsheet.html")
    assert (out.parent / "mathjax" / "MathJax.js").is_file()
    assert (out.parent / "mathjax" / "config" / "embedkit.js").is_file()
