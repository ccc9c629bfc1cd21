# rfvkit: two commands get you going on a fresh machine.
#   make report   set up .venv, then build the report on the shipped sample data
#   make test     set up .venv, then run the whole test suite (unit, notebooks, end-to-end)
# Also: make lab (JupyterLab on the notebooks), make bench (speed/memory benchmarks),
#       make lint, make demo-data (regenerate data/sample), make clean.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/sample.yaml
NAME   ?=

.PHONY: setup report test wheel-check lab bench lint demo-data clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,fast]"
	touch $(STAMP)

report: setup
	$(BIN)/rfvkit report --params $(PARAMS) $(if $(NAME),--name $(NAME))

test: setup
	$(BIN)/python -m pytest --nbval-lax tests notebooks

# Build the wheel, install it into a fresh venv and build the CI report from it (also in CI).
wheel-check:
	bash .ci/wheel-check

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ROOT_FLAG) notebooks/01_explore_rfv.ipynb

bench: setup
	$(BIN)/python benchmarks/bench_rfv.py
	$(BIN)/python benchmarks/bench_clustering.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_sendlist.py

lint: setup
	$(BIN)/ruff check rfvkit tests benchmarks
	$(BIN)/ruff format --check rfvkit tests benchmarks

demo-data: setup
	$(BIN)/rfvkit demo --out data/sample --customers 5000 --seed 0

clean:
	rm -rf $(VENV) reports/* .pytest_cache .ruff_cache
