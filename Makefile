# The README's commands. Every target installs what it needs first, so a fresh clone needs nothing else.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
STAMP := $(VENV)/.installed
# Airflow's settings come from airflow_env/settings.py, the list the workbook and the autograder
# use too: the checkout's .airflow/ and dags/, and the course defaults (the environment wins).
# airflow_env needs only the standard library, so this works before .venv exists.
AIRFLOW_ENV_PYTHON := $(firstword $(wildcard $(BIN)/python) $(PYTHON))
$(foreach setting,$(shell cd $(CURDIR) && $(AIRFLOW_ENV_PYTHON) -m airflow_env --format make),$(eval export $(setting)))

.PHONY: help install lab test test-fast demo ui source lint format clean generate

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml uv.lock Makefile
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 or 3.12 is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet "uv==0.13.9"; }
	@# Compiled once here: Python never writes .pyc files where PYTHONDONTWRITEBYTECODE is set (the
	@# sandboxes set it), and compiling pandas, ipykernel ... again cost every fresh process ~1 s.
	$(BIN)/uv sync --frozen --compile-bytecode --python $(BIN)/python
	@touch $@

install: $(STAMP)  ## create .venv from the lock file (other targets do this for you)

lab: $(STAMP)  ## start the taxi source and open the workbook in JupyterLab
	$(BIN)/workbook init
	@$(BIN)/python notebooks/_build/build_notebooks.py --snapshots >/dev/null
	$(BIN)/workbook source start
	@# Each next kernel starts from a spare that has already imported Airflow and dbt
	@# (workbook/warm_kernel.py).
	JUPYTER_DEFAULT_PROVISIONER_NAME=workbook-warm-provisioner \
	  $(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/00_start_here.ipynb

test: $(STAMP)  ## run the whole test suite (installs first)
	@$(BIN)/python -m workbook.system_setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/pytest; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is missing"; exit 1; fi; exit $$rc

test-fast: $(STAMP)  ## the tests that need no Airflow run, dbt or browser
	$(BIN)/pytest -m "not slow and not browser"

demo: $(STAMP)  ## one month, the 7-run backfill, and the rerun that changes nothing
	$(BIN)/workbook demo

ui: $(STAMP)  ## the real Airflow UI, scheduler and dag-processor on http://localhost:8080
	$(BIN)/workbook init
	$(BIN)/workbook ui

source: $(STAMP)  ## start the taxi source in the background on 127.0.0.1:8765
	$(BIN)/workbook source start

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

generate: $(STAMP)  ## authors: rewrite every generated file (notebooks from their sources, ...)
	$(BIN)/python tools/generate.py

clean:  ## remove the Airflow home, the warehouse and the venv
	-$(BIN)/workbook source stop
	rm -rf .airflow warehouse $(VENV)

# Teacher: the nbgrader loop (docs/assignment.md). Each target is also `.venv/bin/course <step>`;
# plain `nbgrader ...` commands work too, run from assignment/.
JOBS ?= 2
.PHONY: release collect grade feedback export

release: $(STAMP)  ## nbgrader: build the student version (no solutions) and release it
	$(BIN)/course release

collect: $(STAMP)  ## nbgrader: collect the students' submissions from the exchange
	$(BIN)/course collect

grade: $(STAMP)  ## autograder checks + nbgrader autograde, per student (JOBS=2)
	$(BIN)/course grade --jobs $(JOBS)

feedback: $(STAMP)  ## nbgrader: feedback HTML, checked for leaks, released to students
	$(BIN)/course feedback

export: $(STAMP)  ## assignment/grades.csv: a row per student, a column per check, the tier
	$(BIN)/course export

# Teacher: the class Airflow (docs/class_airflow.md). Each target is also `.venv/bin/class <cmd>`.
ROSTER ?= class/roster.csv
WORKERS ?= 2
GRADING_WORKERS ?= 1
.PHONY: class-up class-down class-status class-compose

class-up: $(STAMP)  ## the shared class Airflow without Docker (PostgreSQL, Redis, Celery) on loopback
	@$(BIN)/python -m workbook.system_setup
	$(BIN)/class up --roster $(ROSTER) --workers $(WORKERS) --grading-workers $(GRADING_WORKERS)

class-down: $(STAMP)  ## stop every process class-up started
	$(BIN)/class down

class-status: $(STAMP)  ## one row per student: deployed, held back, last run, rows per month
	$(BIN)/class status --html class-status/

class-compose: $(STAMP)  ## regenerate class/compose.yaml and class/Dockerfile from the declaration
	$(BIN)/class compose
