# Developer tasks. Every target installs the Debian packages it needs first.
# QGIS's Python bindings live in Debian's interpreter, so it is named
# explicitly: another python3 earlier on PATH would not find them.
PYTHON ?= /usr/bin/python3
PYTEST_ARGS ?=
STALL_ARGS ?=
SCALE_ARGS ?=
PACKAGE ?= sentinel2_equalizer.zip

.PHONY: help deps cli demo test bench bench-scale quality stall package test-matrix screenshots clean

help:
	@echo "make demo         equalize a generated sample product (demo/)"
	@echo "make cli          install the s2eq command line (no QGIS needed)"
	@echo "make test         run the whole test suite"
	@echo "make bench        time and measure full-size runs"
	@echo "make bench-scale  s2eq batch over a thousand small products"
	@echo "make quality      every mode on the real scenes: measures, contact sheets"
	@echo "make stall        QGIS's longest stall and Cancel delay, full tile"
	@echo "make package      build sentinel2_equalizer.zip for Plugin Manager"
	@echo "make test-matrix  run the suite on QGIS 3.22, 3.40 and 3.44"
	@echo "make screenshots  picture the dialog and its result (docs/)"

deps:
	@sh scripts/install-deps

# The s2eq command: Debian packages without QGIS, a copy of this checkout
# installed into a virtual environment of its own, /opt/s2eq (root) or
# ~/.local/share/s2eq, linked into /usr/local/bin (root) or ~/.local/bin.
cli:
	@sh scripts/install-cli

demo: deps
	$(PYTHON) scripts/demo.py demo

test: deps
	$(PYTHON) -m pytest $(PYTEST_ARGS) tests

bench: deps
	$(PYTHON) scripts/bench.py
	$(PYTHON) scripts/bench_scale.py $(SCALE_ARGS)

# What grows with the product count: s2eq batch --shared-curve over a
# thousand small products (also the last part of make bench).
bench-scale: deps
	$(PYTHON) scripts/bench_scale.py $(SCALE_ARGS)

# Every method and colour mode on the real scenes of ../shared/realdata:
# the measures printed, contact sheets in .build/quality.
quality: deps
	$(PYTHON) scripts/quality.py .build/quality

# Its own target, not a bench case: it runs one QGIS application with the
# algorithm as a task and times QGIS's main thread, where the bench times
# fresh processes.
stall: deps
	$(PYTHON) scripts/stall.py $(STALL_ARGS)

# The zip holds what git tracks, less what .gitattributes marks
# export-ignore (tests, scripts, development files), as of the working tree.
package:
	@rm -f $(PACKAGE)
	@ref=$$(git stash create); \
	git archive --format=zip --prefix=sentinel2_equalizer/ \
		-o $(PACKAGE) $${ref:-HEAD}
	@echo "wrote $(PACKAGE)"

test-matrix:
	sh scripts/test-matrix

# The dialog and the loaded result, drawn headless by QGIS itself.
screenshots: deps
	$(PYTHON) scripts/screenshots.py docs

clean:
	rm -rf .build demo sentinel2_equalizer.zip
