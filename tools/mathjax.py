"""MathJax served by the page itself, so formulas render with no network.

The course's HTML pages (``make site``, ``make cheatsheet``) typeset LaTeX with MathJax 2.7,
copied from the ``jupyter-server-mathjax`` package (the copy Jupyter's own servers ship)
next to the page, instead of loading it from a CDN: opened offline, a CDN script fails and
the reader sees raw ``$\\lVert a\\rVert$``.

That copy carries the ``TeX-AMS-MML_HTMLorMML-full`` configuration and the STIX-Web web
fonts only (no TeX fonts), so MathJax must be told to use those: ``copy_mathjax`` adds a
small configuration file, ``config/embedkit.js``, named last in ``MATHJAX_QUERY``. The
browser check (``tools/browser_check.py``) fails on any font or file MathJax cannot load.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

# Parts of the package's copy a page never loads: other output formats and translations.
_SKIP = shutil.ignore_patterns("localization", "SVG", "*.md", "__pycache__")

# MathJax 2 loads the configuration files named in ?config=, in order, from its config/.
MATHJAX_QUERY = "config=TeX-AMS-MML_HTMLorMML-full,Safe,embedkit"

_LOCAL_CONFIG = """\
/* embedkit: use the STIX-Web fonts shipped beside this file; nothing from the network. */
MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
    /* MathJax measures with a font that must never load; its "about:blank" address is a
       blocked request (a console error) in current browsers, a missing local font is not. */
    styles: {"@font-face": {"font-family": "MathJax_Blank", src: "local('MathJax Blank Never Installed')"}}},
  /* The hidden MathML copy kept for screen readers would otherwise ask for the TeX web
     fonts of the native-MathML renderer, which this copy of MathJax does not carry. */
  styles: {".MJX_Assistive_MathML, .MJX_Assistive_MathML *": {"font-family": "inherit !important"}},
  messageStyle: "none"
});
MathJax.Ajax.loadComplete("[MathJax]/config/embedkit.js");
"""


def mathjax_source() -> Path:
    """The folder holding ``MathJax.js`` inside the installed ``jupyter-server-mathjax``."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "jupyter-server-mathjax is not installed: run `make setup` (it is pinned in "
            "pyproject.toml's course extra)")
    folder = Path(spec.submodule_search_locations[0]) / "static"
    if not (folder / "MathJax.js").is_file():
        raise FileNotFoundError(f"no MathJax.js in {folder}")
    return folder


def copy_mathjax(dest: str | Path) -> Path:
    """Copy MathJax (and the course's font configuration) to ``dest``; return ``dest``.

    A page then loads ``<relative path to dest>/MathJax.js?`` + ``MATHJAX_QUERY``.
    Copies only when ``dest`` lacks it, so repeated builds cost nothing.
    """
    dest = Path(dest)
    if not (dest / "MathJax.js").is_file():
        shutil.copytree(mathjax_source(), dest, ignore=_SKIP, dirs_exist_ok=True)
    config = dest / "config" / "embedkit.js"
    if not config.is_file() or config.read_text(encoding="utf-8") != _LOCAL_CONFIG:
        config.write_text(_LOCAL_CONFIG, encoding="utf-8")
    return dest
