"""The browser check's plumbing and the JupyterLab settings it verifies, without a browser.

The check itself (headless Chromium over the site and `make lab`) is `make browser-check`,
run by .ci/run after `make test`; these tests keep its ingredients honest.
"""
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tools import browser_check  # noqa: E402

LAB_CONFIG = ROOT / "tools" / "jupyterlab"


def test_without_chromium_the_check_skips_with_a_clear_message(monkeypatch, capsys):
    monkeypatch.setenv("EMBEDKIT_CHROMIUM", str(ROOT / "no-such-chromium"))
    assert browser_check.find_chromium() is None
    assert browser_check.main(["--skip-lab"]) == 0
    out = capsys.readouterr().out
    assert "browser check SKIPPED" in out and "apt-get install chromium" in out


def test_chromium_flags_are_the_documented_ones():
    for flag in ("--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"):
        assert flag in browser_check.CHROMIUM_FLAGS


def test_problems_are_grouped_and_summarised():
    problems = browser_check.Problems()
    assert not problems
    for i in range(20):
        problems.add("broken links", f"a.html -> b{i}.html")
    problems.add("math", "c.html: raw")
    assert problems
    text = problems.summary(limit=3)
    assert "broken links: 20" in text and "... and 17 more" in text and "math: 1" in text


def test_lab_settings_switch_the_news_off(monkeypatch):
    """JupyterLab reads default setting overrides from <config path>/labconfig, as here."""
    from jupyter_server.services.config import ConfigManager

    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(LAB_CONFIG))
    overrides = ConfigManager(config_dir_name="labconfig").get("default_setting_overrides")
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}


def test_lab_opens_every_notebook_on_the_course_kernel():
    config = json.loads((LAB_CONFIG / "jupyter_server_config.json").read_text())
    assert config["KernelSpecManager"]["allowed_kernelspecs"] == ["embedkit"]
    assert config["MappingKernelManager"]["default_kernel_name"] == "embedkit"
    makefile = (ROOT / "Makefile").read_text()
    # the kernel `make setup` registers is the one the settings allow, under the name the check expects
    assert re.search(r'--name embedkit --display-name "Python \(embedkit\)"', makefile)
    assert browser_check.KERNEL_DISPLAY_NAME == "Python (embedkit)"
    lab = re.search(r"\nlab: setup[^\n]*\n(.*?)\n\n", makefile, re.S).group(1)
    assert 'JUPYTER_CONFIG_PATH="$(CURDIR)/tools/jupyterlab"' in lab and "$(LAB_ARGS)" in lab
    assert "--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb" in lab


def test_lesson_00_has_the_cells_the_check_runs():
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## How to use JupyterLab" in markdown and "Shift+Enter" in markdown
    code = [c for c in nb.cells if c.cell_type == "code"]
    bar = [c for c in code if "tqdm(range(20)" in c.source]
    assert len(bar) == 1 and "from tqdm.auto import tqdm" in bar[0].source
    assert len([c for c in code if "still the stub" in c.source]) == 1


def test_ci_runs_the_check_after_the_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make test\n") < ci.index("make browser-check") < ci.index("make test-portable")
    assert "apt-get install" in ci and "chromium" in ci
