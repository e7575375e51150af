"""`make site` (tools/build_site.py): the course as a website, built offline.

A small course of made-up notebooks is built in a temporary folder (a few seconds); the
real site is checked in a browser by `make browser-check` (tools/browser_check.py).
"""
import base64
import html.parser
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools.build_site import course_folders, home_page  # noqa: E402
from tools.mathjax import MATHJAX_QUERY  # noqa: E402

# a 1x1 PNG, as a notebook stores a figure
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fe0dc7c8a5"
    "0000000049454e44ae426082")).decode()
QUOTED = '2. A "quoted" heading, with `code`'
QUOTED_ANCHOR = '2.-A-"quoted"-heading,-with-code'


def _notebook(path: Path, cells, outputs=()):
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _course(tmp: Path, link: str):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    plot = code("plt.show()", execution_count=1, outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": PNG, "text/plain": "<Figure size 100x100 with 1 Axes>"})])
    bar = code("for _ in tqdm(range(3)): pass", execution_count=2, outputs=[nbformat.v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json":
                              {"model_id": "widget-1", "version_major": 2, "version_minor": 0},
                              "text/plain": "  0%|          | 0/3"})])
    shown = code("display(Markdown(...))", execution_count=3, outputs=[nbformat.v4.new_output(
        "display_data", data={"text/markdown": f"Printed markdown with $x^2$ and a [link]({link})",
                              "text/plain": "<IPython.core.display.Markdown object>"})])
    a = _notebook(tmp / "notebooks" / "01_alpha.ipynb", [
        md("# 01 · Alpha\n\n## 1. Math\n\nInline $\\lVert a\\rVert$ and\n\n$$\\cos\\theta = 1$$"),
        plot, bar, shown,
        md(f"See [the quoted section]({link}).\n\n## Key takeaways\n\n- one\n- two"),
    ])
    a_nb = nbformat.read(a, as_version=4)
    a_nb.cells[-1].metadata["tags"] = ["takeaway"]
    nbformat.write(a_nb, a)
    b = _notebook(tmp / "notebooks" / "02_beta.ipynb", [
        md(f"# 02 · Beta\n\n## 1. First\n\ntext\n\n## {QUOTED}\n\nmore text"),
        md("## Key takeaways\n\n- three\n- four"),
    ])
    b_nb = nbformat.read(b, as_version=4)
    b_nb.cells[-1].metadata["tags"] = ["takeaway"]
    nbformat.write(b_nb, b)
    ex = _notebook(tmp / "exercises" / "01_alpha.ipynb", [
        md("# 01 · Alpha: exercises\n\nBack to [the lesson](../notebooks/01_alpha.ipynb#1.-Math).")])
    so = _notebook(tmp / "solutions" / "01_alpha.ipynb", [md("# 01 · Alpha: solutions\n\nDone.")])
    readme = ("# A tiny course\n\n## Course map\n\n| # | lesson |\n|---|---|\n"
              "| 01 | [alpha](notebooks/01_alpha.ipynb) · [exercise](exercises/01_alpha.ipynb) |\n"
              "| 02 | [beta](notebooks/02_beta.ipynb) |\n")
    return {"notebooks": [a, b], "exercises": [ex], "solutions": [so]}, readme


class _Ids(html.parser.HTMLParser):
    """Every id, every link and every script/stylesheet address of a page (entities decoded)."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.assets = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href") and "stylesheet" in (attrs.get("rel") or ""):
            self.assets.append(attrs["href"])


def _parse(path: Path) -> _Ids:
    p = _Ids()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from tools.build_site import build

    tmp = tmp_path_factory.mktemp("course")
    folders, readme = _course(tmp, f"02_beta.ipynb#{QUOTED_ANCHOR}")
    report = build(tmp / "site", folders=folders, readme=readme)
    return report


def test_every_notebook_becomes_a_page(site):
    out = site.out
    expected = ["index", "cheatsheet", "notebooks/01_alpha", "notebooks/02_beta",
                "exercises/01_alpha", "solutions/01_alpha"]
    assert site.pages == len(expected)
    for doc in expected:
        assert (out / f"{doc}.html").is_file(), doc
    assert "6 pages" in str(site) and site.size_bytes > 0


def test_navigation_in_course_order_with_separate_sections(site):
    text = (site.out / "index.html").read_text(encoding="utf-8")
    assert "A tiny course" in text                     # the README is the home page
    nav = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))
    order = [nav.find(s) for s in ("Lessons", "01 · Alpha", "02 · Beta", "Exercises",
                                   "01 · Alpha: exercises", "Solutions", "Reference")]
    assert -1 not in order and order == sorted(order), order


def test_links_between_notebooks_land_on_the_jupyterlab_anchor(site):
    alpha = _parse(site.out / "notebooks" / "01_alpha.html")
    beta = _parse(site.out / "notebooks" / "02_beta.html")
    targets = [h for h in alpha.links if h.startswith("02_beta.html#")]
    assert targets, alpha.links
    for href in targets:      # Sphinx resolves the link to an id that exists on the page
        assert href.split("#", 1)[1] in beta.ids
    # and the JupyterLab anchor itself is an id too (quotes escaped), for links from outside
    assert QUOTED_ANCHOR in beta.ids
    exercise = _parse(site.out / "exercises" / "01_alpha.html")
    assert any(h.startswith("../notebooks/01_alpha.html#") for h in exercise.links)
    assert not any(".ipynb" in h for p in (alpha, beta, exercise) for h in p.links)


def test_figures_math_and_printed_markdown_render(site):
    page = (site.out / "notebooks" / "01_alpha.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    assert len(images) == 1 and (site.out / "notebooks" / images[0]).resolve().is_file()
    assert r"\(\lVert a\rVert\)" in page and r"\[\cos\theta = 1\]" in page
    assert r"\(x^2\)" in page                           # math in printed markdown too
    assert "0/3" not in page                            # no frozen 0% progress bar
    assert "require.js" not in page and "embed-amd" not in page   # no widget runtime


def test_nothing_comes_from_the_network(site):
    mathjax = site.out / "_static" / "mathjax"
    assert (mathjax / "MathJax.js").is_file() and (mathjax / "config" / "embedkit.js").is_file()
    for page in site.out.rglob("*.html"):
        assets = _parse(page).assets
        remote = [a for a in assets if re.match(r"^(https?:)?//", a)]
        assert not remote, f"{page.name} loads {remote}"
    page = _parse(site.out / "notebooks" / "01_alpha.html")
    assert any(a.endswith(f"_static/mathjax/MathJax.js?{MATHJAX_QUERY}") for a in page.assets)


def test_search_index_and_cheat_sheet(site):
    assert "alpha" in (site.out / "searchindex.js").read_text(encoding="utf-8").lower()
    cheat = (site.out / "cheatsheet.html").read_text(encoding="utf-8")
    assert "three" in cheat and "notebooks/02_beta.html" in cheat


def test_a_link_to_a_missing_section_fails_the_build(tmp_path):
    """Also on a rebuild where only the target changed: every link is resolved again."""
    from tools.build_site import build

    folders, readme = _course(tmp_path, f"02_beta.ipynb#{QUOTED_ANCHOR}")
    build(tmp_path / "site", folders=folders, readme=readme)
    beta = folders["notebooks"][1]
    nb = nbformat.read(beta, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(QUOTED, "2. A renamed heading")
    nbformat.write(nb, beta)
    with pytest.raises(RuntimeError, match="quoted"):
        build(tmp_path / "site", folders=folders, readme=readme)


def test_the_real_course_is_staged_in_course_order():
    folders = course_folders()
    assert [p.name for p in folders["notebooks"]] == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    page = home_page("# readme\n", folders)
    for folder, paths in folders.items():
        entries = [f"{folder}/{p.stem}" for p in paths]
        positions = [page.find("\n" + e + "\n") for e in entries]
        assert -1 not in positions and positions == sorted(positions), folder
