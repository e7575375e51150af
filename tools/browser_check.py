"""The course website and JupyterLab, checked in a real browser (``make browser-check``).

    python tools/browser_check.py                     # site in build/site, then JupyterLab
    python tools/browser_check.py --skip-lab          # only the website
    python tools/browser_check.py --skip-site         # only JupyterLab

Headless Chromium from the system packages (Debian's ``chromium``; ``$EMBEDKIT_CHROMIUM``
names another binary) is driven by Playwright, whose wheel carries its driver: no browser
is downloaded. Chromium starts with a fresh profile and every request that leaves
127.0.0.1 is blocked and reported, so the checks also prove that nothing needs a network.
Where no Chromium is installed, the check says so and exits 0 (``.ci/run`` installs it).

**The website** (``make site`` first) is served on a free localhost port and crawled from
its home page: every page must load with no console error, no failed request and no
request leaving the machine; every internal link must reach a page that exists and, with
a ``#fragment``, an element with that id; every image must load; the math must be
typeset by the site's own MathJax with no raw LaTeX left; each notebook page must show as
many figures as its stored notebook holds; the search page must find a lesson; every
flashcard's link (``tools/build_flashcards.py``) must reach its section.

**JupyterLab** is started by ``make lab`` itself on a free localhost port with a token
known to the check, with a throw-away Jupyter profile whose ``embedkit`` kernel is this
checkout's interpreter, and autosave off (nothing is written back into the notebooks; the
check verifies their bytes afterwards). In the browser: the start page opens on lesson 00
with the course kernel, *Python (embedkit)*; no news pop-up; the file browser lists the
lessons in course order; the progress-bar cell, run through the UI (Shift+Enter), renders
tqdm as a widget that reaches 20/20; the exercise-check cell prints its verdict.

Screenshots are saved under ``build/browser-check/`` with a JSON report of every count.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from embedkit import course  # noqa: E402

# The flags every Chromium launch gets (Playwright adds --headless and a --user-data-dir).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
KERNEL_DISPLAY_NAME = "Python (embedkit)"
VIEWPORT = {"width": 1400, "height": 900}


def find_chromium() -> str | None:
    """The Chromium binary to drive, or None when none is installed."""
    named = os.environ.get("EMBEDKIT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Problems:
    """Everything that went wrong, grouped; the check fails when any group is non-empty."""

    items: dict[str, list[str]] = field(default_factory=dict)

    def add(self, group: str, message: str) -> None:
        self.items.setdefault(group, []).append(message)

    def __bool__(self) -> bool:
        return any(self.items.values())

    def summary(self, limit: int = 15) -> str:
        lines = []
        for group, messages in self.items.items():
            lines.append(f"{group}: {len(messages)}")
            lines += [f"  - {m}" for m in messages[:limit]]
            if len(messages) > limit:
                lines.append(f"  ... and {len(messages) - limit} more")
        return "\n".join(lines)


def launch(playwright, chromium: str, profile: Path, problems: Problems):
    """A fresh headless Chromium whose requests may only go to this machine."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium, headless=True, args=CHROMIUM_FLAGS,
        viewport=VIEWPORT, device_scale_factor=1)

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("file", "data", "blob") or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            problems.add("requests leaving the machine (blocked)", url)
            route.abort()

    context.route("**/*", guard)
    return context


def watch(page, problems: Problems, where: list[str]):
    """Record console errors, page exceptions, failed requests and HTTP errors of a page."""
    here = lambda: where[0]  # noqa: E731  (the page being checked, updated by the caller)
    page.on("console", lambda m: problems.add("console errors", f"{here()}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.add("page exceptions", f"{here()}: {e}"))
    page.on("requestfailed", lambda r: problems.add("failed requests", f"{here()}: {r.url} ({r.failure})")
            if urlsplit(r.url).hostname in LOCAL_HOSTS else None)
    page.on("response", lambda r: problems.add("HTTP errors", f"{here()}: {r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)


# ----------------------------------------------------------------------------- the site
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


# Waits for MathJax to finish (when the page loads it), then reports what it typeset.
_MATH_JS = r"""() => new Promise(resolve => {
  // TeX left in the prose once MathJax is done: "\lVert", "\(", "$$" outside code
  const rawText = () => {
    const found = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.parentElement.closest('code, pre, script, style, textarea, .MathJax_Preview')) continue;
      if (/\\[a-zA-Z]{2,}|\\[()[\]]|\$\$/.test(n.textContent)) found.push(n.textContent.trim().slice(0, 60));
    }
    return found;
  };
  const report = () => {
    const items = [...document.querySelectorAll('.math.notranslate')];   // Sphinx's math elements
    resolve({
      items: items.length,
      typeset: document.querySelectorAll('script[type^="math/tex"]').length,
      raw: items.filter(e => !e.querySelector('script[type^="math/tex"]')).map(e => e.textContent.slice(0, 60))
           .concat(rawText()),
      errors: [...document.querySelectorAll('.noError, .MathJax_Error, merror')].map(e => e.textContent.slice(0, 60)),
    });
  };
  if (!document.querySelector('script[src*="MathJax.js"]')) return report();
  const start = Date.now();
  (function poll() {
    if (window.MathJax && MathJax.Hub && MathJax.isReady) MathJax.Hub.Queue(report);
    else if (Date.now() - start > 30000) resolve({timeout: true});
    else setTimeout(poll, 50);
  })();
})"""

# Loads every image (lazy ones too), then lists them with whether each one decoded.
_IMAGES_JS = """async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
                         output: !!i.closest('.cell_output')}));
}"""


_TABLE_RULE = re.compile(r"^ {0,3}\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.M)


def _stored_figures(path: Path) -> int:
    """Outputs of a stored notebook that hold a picture (one is drawn per output)."""
    nb = nbformat.read(path, as_version=4)
    return sum(any(m.startswith("image/") for m in out.get("data", {}))
               for c in nb.cells if c.cell_type == "code" for out in c.outputs)


def _stored_tables(path: Path) -> int:
    """Markdown tables (cells and printed Markdown) and HTML tables printed by cells."""
    nb = nbformat.read(path, as_version=4)
    count = 0
    for c in nb.cells:
        if c.cell_type == "markdown":
            count += len(_TABLE_RULE.findall(c.source))
        for out in c.get("outputs", []):
            data = out.get("data", {})
            count += len(_TABLE_RULE.findall(data.get("text/markdown", "")))
            count += data.get("text/html", "").count("<table")
    return count


def check_site(context, site: Path, shots: Path, problems: Problems) -> dict:
    """Crawl the site from its home page; return the counts for the report."""
    server, base = serve(site)
    page = context.new_page()
    where = ["(start)"]
    watch(page, problems, where)
    pages: dict[str, dict] = {}           # url -> {"status", "ids"}
    links: list[tuple[str, str]] = []     # (from page, absolute target) for internal links
    external: set[str] = set()
    images = {"total": 0, "unique": set(), "outputs": 0}
    math = {"pages_with_math": 0, "typeset": 0}
    queue = [base + "index.html"]
    start = time.perf_counter()
    try:
        while queue:
            url = queue.pop(0)
            if url in pages:
                continue
            where[0] = url[len(base):]
            response = page.goto(url, wait_until="load")
            status = response.status if response else 0
            pages[url] = {"status": status, "ids": set()}
            if status != 200:
                problems.add("pages that do not load", f"{where[0]}: HTTP {status}")
                continue
            pages[url]["ids"] = set(page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)"))
            m = page.evaluate(_MATH_JS)
            if m.get("timeout"):
                problems.add("math", f"{where[0]}: MathJax did not finish within 30 s")
            else:
                math["typeset"] += m["typeset"]
                math["pages_with_math"] += m["items"] > 0
                for raw in m["raw"]:
                    problems.add("math", f"{where[0]}: left as raw LaTeX: {raw!r}")
                for err in m["errors"]:
                    problems.add("math", f"{where[0]}: MathJax error: {err!r}")
            shown = 0
            for img in page.evaluate(_IMAGES_JS):
                images["total"] += 1
                images["unique"].add(img["src"])
                shown += img["output"] and img["ok"]
                if not img["ok"]:
                    problems.add("broken images", f"{where[0]}: {img['src']}")
            pages[url]["figures"] = shown
            pages[url]["tables"] = page.evaluate("() => document.querySelectorAll('article table').length")
            images["outputs"] += shown
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                if not href.startswith(("http:", "https:")):
                    continue                   # mailto:, javascript: ...
                if not href.startswith(base):
                    external.add(href)
                    continue
                links.append((where[0], href))
                target = urldefrag(href).url
                if target.endswith("/"):
                    target += "index.html"
                if target.endswith(".html") and target not in pages and target not in queue:
                    queue.append(target)
        crawl_seconds = time.perf_counter() - start

        # every internal link: its page exists (or the file is served) and so does its #fragment
        served: dict[str, int] = {}
        for source, href in links:
            target, fragment = urldefrag(href)
            if target.endswith("/"):
                target += "index.html"
            if target in pages:
                ok = pages[target]["status"] == 200
            else:
                if target not in served:
                    try:
                        with urllib.request.urlopen(target) as r:
                            served[target] = r.status
                    except Exception as error:  # noqa: BLE001  (an HTTP error is the finding)
                        served[target] = getattr(error, "code", 0)
                ok = served[target] == 200
            if not ok:
                problems.add("broken links", f"{source} -> {href[len(base):]}")
            elif fragment and target in pages and unquote(fragment) not in pages[target]["ids"] \
                    and fragment not in pages[target]["ids"]:
                problems.add("links to a missing #section", f"{source} -> {href[len(base):]}")

        # every figure and table of every stored notebook is on its page
        figures, tables = {}, {}
        for folder in ("notebooks", "exercises", "solutions"):
            for path in course.lesson_notebooks(ROOT / folder):
                built = pages.get(f"{base}{folder}/{path.stem}.html", {})
                stored, shown = _stored_figures(path), built.get("figures", 0)
                figures[f"{folder}/{path.stem}"] = (stored, shown)
                if shown != stored:
                    problems.add("figures", f"{folder}/{path.stem}: {stored} stored, {shown} on the page")
                stored, shown = _stored_tables(path), built.get("tables", 0)
                tables[f"{folder}/{path.stem}"] = (stored, shown)
                if shown != stored:
                    problems.add("tables", f"{folder}/{path.stem}: {stored} in the notebook, {shown} on the page")

        # a lesson page with a figure, as a reader sees it
        lesson = next(p for p in course.lesson_notebooks() if _stored_figures(p))
        where[0] = f"notebooks/{lesson.stem}.html"
        page.goto(f"{base}notebooks/{lesson.stem}.html", wait_until="load")
        page.evaluate(_MATH_JS)
        page.locator(".cell_output img").first.evaluate("e => e.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(shots / "site-lesson-figure.png"))

        # math, typeset by the site's own MathJax: the cheat sheet
        where[0] = "cheatsheet.html"
        page.goto(f"{base}cheatsheet.html", wait_until="load")
        page.evaluate(_MATH_JS)
        formula = page.locator("span.math").first
        formula.scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -200)")
        page.screenshot(path=str(shots / "site-cheatsheet-math.png"))

        # search, served by the site itself
        where[0] = "search.html"
        page.goto(f"{base}search.html?q=product+quantization", wait_until="load")
        page.locator("#search-results .search-summary", has_text="found").wait_for(timeout=60_000)
        hits = page.locator("#search-results ul.search li").count()
        if not page.locator("#search-results a[href*='14_product_quantization']").count():
            problems.add("search", "searching 'product quantization' does not find lesson 14")

        # the flashcards' links land on their sections
        sys.path.insert(0, str(ROOT / "tools"))
        from tools.build_flashcards import collect_cards

        cards = collect_cards(base.rstrip("/"))
        for card in cards:
            target, fragment = urldefrag(card.link)
            if target not in pages or unquote(fragment) not in pages[target]["ids"]:
                problems.add("flashcard links", f"{card.key}: {card.link[len(base):]}")
    finally:
        page.close()
        server.shutdown()

    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    return {
        "base": base, "pages": len(pages), "crawl_seconds": round(crawl_seconds, 1),
        "internal_links": len(links), "internal_link_targets": len({h for _, h in links}),
        "external_links_not_followed": len(external), "images": images["total"],
        "unique_images": len(images["unique"]), "output_figures": images["outputs"],
        "math_pages": math["pages_with_math"], "math_typeset": math["typeset"],
        "figures_per_notebook": figures, "tables": sum(shown for _, shown in tables.values()),
        "tables_per_notebook": tables, "search_hits_product_quantization": hits,
        "flashcard_links": len(cards), "site_bytes": size, "screenshot_lesson": lesson.stem,
    }


def check_cheatsheet_file(context, shots: Path, problems: Problems) -> dict:
    """`make cheatsheet`'s page opened as a file, with no server and no network."""
    from tools.build_cheatsheet import build

    with tempfile.TemporaryDirectory(prefix="embedkit-cheatsheet-") as tmp:
        path = build(Path(tmp) / "cheatsheet.html")
        page = context.new_page()
        where = ["cheatsheet.html (file)"]
        watch(page, problems, where)
        try:
            page.goto(path.as_uri(), wait_until="load")
            m = page.evaluate(_MATH_JS)
            if m.get("timeout") or not m.get("typeset"):
                problems.add("math", f"{where[0]}: MathJax typeset nothing ({m})")
            for raw in m.get("raw", []) + m.get("errors", []):
                problems.add("math", f"{where[0]}: {raw!r}")
            page.locator(".MathJax").first.evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(300)
            page.screenshot(path=str(shots / "cheatsheet-offline-math.png"))
        finally:
            page.close()
    return {"typeset": m.get("typeset", 0)}


# ---------------------------------------------------------------------------- JupyterLab
def _profile(tmp: Path) -> tuple[dict, Path]:
    """A throw-away Jupyter profile: this checkout's kernel as `embedkit`, autosave off."""
    env = dict(os.environ)
    for name in ("config", "data", "runtime", "settings", "workspaces"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    env.update(JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    kernel = tmp / "data" / "kernels" / "embedkit"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY_NAME, "language": "python"}))
    docmanager = tmp / "settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    return env, tmp / "lab.log"


def _digest(paths) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _cell(page, text: str):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").filter(has_text=text).first


def _run_cell(page, cell) -> None:
    """Select a cell with a click on its prompt (command mode) and press Shift+Enter."""
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")


def check_lab(context, shots: Path, problems: Problems, timeout_s: float = 180) -> dict:
    """Start `make lab`, open it in the browser, run two cells of lesson 00 through the UI."""
    tmp = Path(tempfile.mkdtemp(prefix="embedkit-lab-"))
    env, log_path = _profile(tmp)
    port, token = free_port(), secrets.token_hex(16)
    lab_args = (f"--port={port} --ServerApp.port_retries=0 --ServerApp.ip=127.0.0.1 "
                f"--IdentityProvider.token={token} --LabApp.user_settings_dir={tmp / 'settings'} "
                f"--LabApp.workspaces_dir={tmp / 'workspaces'}")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    before = _digest(notebooks)
    log = open(log_path, "w")
    lab = subprocess.Popen(["make", "-s", "lab", "NO_BROWSER=1", f"LAB_ARGS={lab_args}"], cwd=ROOT,
                           env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    result: dict = {"port": port}
    page = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while True:      # the server is up when its API answers with our token
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if lab.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"`make lab` did not start (log: {log_path}):\n"
                                   + log_path.read_text()[-3000:])
            time.sleep(0.5)
        result["server_start_seconds"] = round(timeout_s - (deadline - time.monotonic()), 1)

        page = context.new_page()
        where = ["jupyterlab"]
        watch(page, problems, where)
        started = time.perf_counter()
        page.goto(f"{base}/?token={token}", wait_until="load")
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden)", timeout=120_000)
        result["opened"] = unquote(urlsplit(page.url).path)
        if not result["opened"].endswith("/notebooks/00_start_here.ipynb"):
            problems.add("jupyterlab", f"the start page is {result['opened']}, not lesson 00")
        kernel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName")
        page.wait_for_function(
            "() => { const e = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-Toolbar-kernelName'); return e && /\\S/.test(e.textContent) && "
            "!/No Kernel|Starting|Connecting/.test(e.textContent); }", timeout=120_000)
        result["kernel"] = kernel.inner_text().strip()
        if result["kernel"] != KERNEL_DISPLAY_NAME:
            problems.add("jupyterlab", f"lesson 00 opened on kernel {result['kernel']!r}, "
                                       f"not {KERNEL_DISPLAY_NAME!r}")
        # a cell run before the kernel is connected is dropped: wait for "<kernel> | Idle"
        page.locator(".jp-StatusBar-Item", has_text=re.compile(r"\| Idle")).first.wait_for(timeout=120_000)
        page.wait_for_selector(".jp-DirListing-item", timeout=60_000)
        listed = [t.strip() for t in page.locator(".jp-DirListing-item .jp-DirListing-itemText").all_inner_texts()]
        lessons = [p.name for p in course.lesson_notebooks()]
        result["file_browser"] = listed
        if [n for n in listed if n.endswith(".ipynb")] != lessons:
            problems.add("jupyterlab", f"the file browser lists {listed}, expected the lessons {lessons}")

        # start from a notebook with no outputs (Edit > Clear Outputs of All Cells), so every
        # output seen below comes from a run in this browser, not from the stored file
        page.locator(".lm-MenuBar-item", has_text="Edit").click()
        page.locator(".lm-Menu-item", has_text="Clear Outputs of All Cells").click()
        page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) "
                               ".jp-OutputArea-output')", timeout=30_000)

        # run the progress-bar cell through the UI: tqdm must render as a widget
        bar = _cell(page, "tqdm(range(20)")
        _run_cell(page, bar)
        try:
            # an ipywidgets progress bar (tqdm.auto's widget), not tqdm's text fallback
            bar.locator(".widget-hprogress .progress-bar").first.wait_for(timeout=120_000)
            page.wait_for_function(
                "el => el.textContent.includes('20/20') && "
                "el.querySelector('.widget-hprogress .progress-bar').style.width === '100%'",
                arg=bar.locator(".jp-OutputArea").element_handle(), timeout=60_000)
            result["progress_widget"] = " ".join(bar.locator(".jp-OutputArea").inner_text().split())
        except Exception:  # noqa: BLE001
            problems.add("jupyterlab", "the tqdm cell shows no progress widget reaching 20/20; its "
                                       f"output: {bar.locator('.jp-OutputArea').inner_text()[:300]!r}")
        bar.scroll_into_view_if_needed()
        page.evaluate("() => 0")
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "lab-progress-widget.png"))

        # an exercise check: the stub reports "Not yet"
        check = _cell(page, "still the stub")
        _run_cell(page, check)
        try:
            check.locator(".jp-OutputArea-output").filter(has_text="Not yet").first.wait_for(timeout=120_000)
            result["check_output"] = " ".join(check.locator(".jp-OutputArea").inner_text().split())
            result["check_prompt"] = check.locator(".jp-InputPrompt").first.inner_text().strip()
        except Exception:  # noqa: BLE001
            problems.add("jupyterlab", "the exercise-check cell printed no verdict; its output: "
                                       f"{check.locator('.jp-OutputArea').inner_text()[:300]!r}")
        check.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "lab-executed-cell.png"))

        # no news pop-up (it appears a few seconds after start when not switched off)
        page.wait_for_timeout(max(0, 8000 - 1000 * (time.perf_counter() - started)))
        news = page.get_by_text(re.compile("Jupyter news", re.I)).count()
        result["news_popups"] = news
        if news:
            problems.add("jupyterlab", "the 'official Jupyter news' pop-up is shown")
        result["ui_seconds"] = round(time.perf_counter() - started, 1)
    finally:
        if page is not None:
            page.close()
        try:
            os.killpg(lab.pid, signal.SIGTERM)     # make, jupyter lab and its kernels: our group
            lab.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(lab.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
    changed = [p for p, h in _digest(notebooks).items() if before.get(p) != h]
    if changed:
        problems.add("jupyterlab", f"notebooks changed on disk by the check: {changed}")
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default=str(ROOT / "build" / "site"), help="the built site (make site)")
    parser.add_argument("--out", default=str(ROOT / "build" / "browser-check"),
                        help="where screenshots and report.json go")
    parser.add_argument("--skip-site", action="store_true")
    parser.add_argument("--skip-lab", action="store_true")
    args = parser.parse_args(argv)

    chromium = find_chromium()
    if chromium is None:
        print("browser check SKIPPED: no Chromium found (install Debian's package: "
              "`apt-get install chromium`, or name a binary in $EMBEDKIT_CHROMIUM)")
        return 0
    site = Path(args.site)
    if not args.skip_site and not (site / "index.html").is_file():
        print(f"no site in {site}: run `make site` first", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    shots = Path(args.out)
    shots.mkdir(parents=True, exist_ok=True)
    problems = Problems()
    report: dict = {"chromium": chromium}
    start = time.perf_counter()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="embedkit-chromium-") as profile:
        context = launch(playwright, chromium, Path(profile), problems)
        report["chromium_version"] = context.browser.version if context.browser else "?"
        try:
            if not args.skip_site:
                report["site"] = check_site(context, site, shots, problems)
                report["cheatsheet_file"] = check_cheatsheet_file(context, shots, problems)
            if not args.skip_lab:
                report["lab"] = check_lab(context, shots, problems)
        finally:
            context.close()
    report["seconds"] = round(time.perf_counter() - start, 1)
    report["problems"] = problems.items
    report["screenshots"] = sorted(p.name for p in shots.glob("*.png"))
    (shots / "report.json").write_text(json.dumps(report, indent=2, default=sorted))

    if "site" in report:
        s = report["site"]
        print(f"site: {s['pages']} pages, {s['internal_links']} internal links "
              f"({s['internal_link_targets']} distinct targets), {s['images']} images "
              f"({s['output_figures']} notebook figures), {s['tables']} tables, "
              f"{s['math_typeset']} formulas typeset, "
              f"{s['flashcard_links']} flashcard links, search found {s['search_hits_product_quantization']} "
              f"pages; {s['external_links_not_followed']} external links not followed")
        print(f"cheat sheet opened as a file: {report['cheatsheet_file']['typeset']} formulas typeset")
    if "lab" in report:
        lab = report["lab"]
        print(f"jupyterlab: opened {lab.get('opened')} on {lab.get('kernel')!r}; "
              f"progress widget: {lab.get('progress_widget', '-')!r}; news pop-ups: {lab.get('news_popups')}")
    print(f"screenshots and report: {shots} ({report['seconds']} s, Chromium {report['chromium_version']})")
    if problems:
        print("browser check FAILED\n" + problems.summary(), file=sys.stderr)
        return 1
    print("browser check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
