# Two commands do everything on a fresh machine (each builds the virtual environment .venv/ when missing):
#   make book   execute the chapters (PROFILE=quick by default, PROFILE=paper for the full run) and render _build/html
#   make test   run the test suite
#   make lint   ruff lint and format check (CI runs it too)
PYTHON  ?= python3
VENV    ?= .venv
TORCH   ?= torch==2.13.0
PROFILE ?= quick
PY      := $(VENV)/bin/python

# Use the pre-seeded data folder beside the repository when there is one (offline build machines); otherwise
# csc_core downloads into data/cache/. Set CSC_DATA_DIR yourself to use another folder.
SHARED_DATA := $(abspath ../shared/data)
export CSC_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/*.h5),$(SHARED_DATA),)

.PHONY: install book missing check-book publish test lint format bench-tune bench-tune-resolution bench-speed bench-scale bench-param-hash clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[book,test]"
	touch $@

install: $(VENV)/.installed

book: install
	$(PY) -m csc_core.harness.book --profile $(PROFILE)

# Compute what results/ lacks for every paper data set that is here or can be downloaded (the real-data chapters'
# grids, seeds 0-2: contrastive-sc, its variants, scanpy, PCA + KMeans, the competitors); stored rows are read back,
# data sets that cannot be downloaded are skipped and named on the pages. The publishing workflow runs it first.
missing: install
	$(PY) -m csc_core.harness.book --profile paper --only real_data all_methods --no-html

# Open every page of the built book in headless Chromium (Debian: apt-get install chromium chromium-driver): fails on
# a missing image, a broken internal link or a traceback in an output cell; screenshots go to _build/screenshots.
check-book: install
	$(PY) -m csc_core.harness.browser _build/html --screenshots _build/screenshots

# Publish _build/html to the gh-pages branch (GitHub Pages) with ghp-import; builds and checks the book first, so a
# failed chapter never publishes a half-written book.
publish: book
	$(PY) -m csc_core.harness.browser _build/html --screenshots "" || [ $$? -eq 2 ]
	$(PY) -m ghp_import --no-jekyll --force --push --message "Book built from $$(git rev-parse --short HEAD)" _build/html

test: install
	$(PY) -m pytest

# ruff over the package, the benchmarks, the tests and the chapters: lint (numpy docstring convention) and format
lint: install
	$(VENV)/bin/ruff check csc_core bench tests book
	$(VENV)/bin/ruff format --check csc_core bench tests book

format: install
	$(VENV)/bin/ruff check --fix csc_core bench tests book
	$(VENV)/bin/ruff format csc_core bench tests book

bench-tune: install
	$(PY) -m bench tune

bench-tune-resolution: install
	$(PY) -m bench tune-resolution

bench-speed: install
	$(PY) -m bench speed --seeds 0 1 2

bench-scale: install
	$(PY) -m bench scale

# Do the trained parameters hash as before? (after a refactor or a speed-up that must not change training)
bench-param-hash: install
	$(PY) -m bench param-hash

clean:
	rm -rf _build
