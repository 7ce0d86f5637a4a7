# Two commands do everything on a fresh machine (each builds the virtual environment .venv/ when missing):
#   make book   execute the chapters (PROFILE=quick by default, PROFILE=paper for the full run) and render _build/html
#   make test   run the test suite
PYTHON  ?= python3
VENV    ?= .venv
TORCH   ?= torch==2.13.0
PROFILE ?= quick
PY      := $(VENV)/bin/python

# Use the pre-seeded data folder beside the repository when there is one (offline build machines); otherwise
# csc_core downloads into data/cache/. Set CSC_DATA_DIR yourself to use another folder.
SHARED_DATA := $(abspath ../shared/data)
export CSC_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)/*.h5),$(SHARED_DATA),)

.PHONY: install book check-book publish test bench-tune bench-tune-resolution bench-speed bench-scale clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[book,test]"
	touch $@

install: $(VENV)/.installed

book: install
	$(PY) -m csc_core.book --profile $(PROFILE)

# Open every page of the built book in headless Chromium (Debian: apt-get install chromium chromium-driver): fails on
# a missing image, a broken internal link or a traceback in an output cell; screenshots go to _build/screenshots.
check-book: install
	$(PY) -m csc_core.browser _build/html --screenshots _build/screenshots

# Publish _build/html to the gh-pages branch (GitHub Pages) with ghp-import; builds and checks the book first, so a
# failed chapter never publishes a half-written book.
publish: book
	$(PY) -m csc_core.browser _build/html --screenshots "" || [ $$? -eq 2 ]
	$(PY) -m ghp_import --no-jekyll --force --push --message "Book built from $$(git rev-parse --short HEAD)" _build/html

test: install
	$(PY) -m pytest

bench-tune: install
	$(PY) -m bench tune

bench-tune-resolution: install
	$(PY) -m bench tune-resolution

bench-speed: install
	$(PY) -m bench speed --seeds 0 1 2

bench-scale: install
	$(PY) -m bench scale

clean:
	rm -rf _build
