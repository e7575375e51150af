"""Sphinx configuration of the course website (``make site``; see ``tools/build_site.py``).

The pages are the stored notebooks rendered by MyST-NB, never re-executed: the outputs on
the site are the ones nbval checks. Everything a page needs is served by the site itself
(theme assets, search index, MathJax), so it reads the same with no network.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools.mathjax import MATHJAX_QUERY  # noqa: E402

project = "embedkit"
author = "the embedkit course"
copyright = "the embedkit course authors (MIT)"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
root_doc = "index"

# --- notebooks: render what is stored, never execute ---------------------------------
nb_execution_mode = "off"
nb_merge_streams = True
# Markdown displayed by a cell (notebook 21 prints every lesson's questions with
# IPython.display.Markdown) gets the same parser as the cells: math and links work.
nb_render_markdown_format = "myst"
# A stored tqdm widget has no saved state (the notebooks are stored without it), so there
# is nothing for a static page to draw: its view stays an inert placeholder (rather than
# tqdm's frozen "0%" text), and the widget runtime is not loaded (it would come from a CDN).
nb_ipywidgets_js = {}

# --- MyST: math, and headings anchored as JupyterLab anchors them --------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True
# The course links sections as JupyterLab does (`04_word2vec.ipynb#3.-Negative-sampling`):
# give every heading that anchor, so the same links work on the site.
myst_heading_anchors = 6
myst_heading_slug_func = "embedkit.course.heading_anchor"   # by name: the config stays picklable

# Lessons skip heading levels on purpose (a "####" under a "##"), which is not an error.
suppress_warnings = ["myst.header"]

# --- math with no network: MathJax 2 copied into _static/mathjax by build_site.py ----
mathjax_path = f"mathjax/MathJax.js?{MATHJAX_QUERY}"
mathjax2_config = {
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": False,
        "processRefs": False,
        # only elements Sphinx marked as math: a "$" in prose or output is just a dollar
        "ignoreClass": "tex2jax_ignore|mathjax_ignore|document",
        "processClass": "tex2jax_process|mathjax_process|math|output_area",
    },
}

# --- HTML ------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "embedkit: embeddings and vector search from first principles"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_copy_source = False          # the notebooks are in the repository; keep the site small
html_show_sourcelink = False
html_last_updated_fmt = None
# the theme reads the reader's light/dark choice; with none saved yet it needs a default
html_context = {"default_mode": "auto"}
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
}


# --- one fix at write time -------------------------------------------------------------
def _escape_secondary_ids(app, doctree, docname):
    """Escape quotes in the extra ids docutils writes as ``<span id="...">``.

    A heading's JupyterLab anchor is its text, so it may hold ``"`` (lesson 12's
    ``6.-"What-if-one-centroid-has-more-vectors-assigned?"``); docutils writes a
    section's ids after the first one without escaping them, which would break the tag.
    The first id is written escaped already, so only the others are touched.
    """
    import html

    from docutils import nodes

    for node in doctree.findall(nodes.Element):
        ids = node.get("ids", [])
        if len(ids) > 1:
            node["ids"] = ids[:1] + [html.escape(i, quote=True) for i in ids[1:]]


def setup(app):
    app.connect("doctree-resolved", _escape_secondary_ids)
