"""Build the course cheat sheet: every lesson's Key takeaways on one HTML page.

    python tools/build_cheatsheet.py                 # writes build/cheatsheet.html
    python tools/build_cheatsheet.py --out FILE.html

The takeaways are the markdown cells tagged ``takeaway`` in ``notebooks/NN_*.ipynb``
(read by ``embedkit.course``). They are gathered, in course order, into one notebook of
markdown cells (a heading and a link back per lesson), which nbconvert renders to one HTML
page. Math is typeset when the page is opened by the copy of MathJax written beside it
(``mathjax/``, see ``tools/mathjax.py``), so it renders with no network; the page's template
(``tools/templates/cheatsheet``) is nbconvert's lab page without its CDN script for widgets.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from embedkit import course  # noqa: E402
from tools.mathjax import MATHJAX_QUERY, copy_mathjax  # noqa: E402


def rebase_links(markdown: str, link_base: str, notebook: str) -> str:
    """Make a lesson's relative links (``02_x.ipynb#a``, ``#a``) work from the cheat sheet."""
    markdown = re.sub(r"\]\(#", f"]({link_base}{notebook}#", markdown)
    return re.sub(r"\]\((\d\d_[^)/]*\.ipynb)", lambda m: f"]({link_base}{m.group(1)}", markdown)


def cheatsheet_notebook(notebooks: list[Path], link_base: str) -> nbformat.NotebookNode:
    """A markdown-only notebook: an intro cell, then one cell per lesson."""
    cells = [nbformat.v4.new_markdown_cell(
        "# embedkit · cheat sheet\n\n"
        "The **Key takeaways** of every lesson, in course order. Each heading links to the\n"
        "notebook whose code measures what the bullets claim. Regenerate with `make cheatsheet`.")]
    for path in notebooks:
        body = rebase_links(course.takeaways(path), link_base, path.name)
        if not body:
            raise ValueError(f"{path.name} has no cell tagged 'takeaway' (a '## Key takeaways' cell)")
        title = course.notebook_title(path)
        cells.append(nbformat.v4.new_markdown_cell(
            f"## {title}\n\n{body}\n\n[Open {path.name}]({link_base}{path.name})"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cheat-{i:03d}"
    return nb


def build(out: Path, notebooks: list[Path] | None = None) -> Path:
    notebooks = course.lesson_notebooks() if notebooks is None else notebooks
    out = Path(out).resolve()
    link_base = os.path.relpath(ROOT / "notebooks", out.parent).replace(os.sep, "/") + "/"
    nb = cheatsheet_notebook(notebooks, link_base)
    exporter = HTMLExporter(template_name="cheatsheet", extra_template_basedirs=[str(ROOT / "tools" / "templates")],
                            mathjax_url=f"mathjax/MathJax.js?{MATHJAX_QUERY}",
                            exclude_input_prompt=True, exclude_output_prompt=True)
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": "embedkit cheat sheet"}})
    out.parent.mkdir(parents=True, exist_ok=True)
    copy_mathjax(out.parent / "mathjax")
    out.write_text(html, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "build" / "cheatsheet.html"))
    args = parser.parse_args(argv)
    path = build(Path(args.out))
    print(f"cheat sheet: {path} ({len(course.lesson_notebooks())} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
