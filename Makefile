# airflow-lab: two commands do all the set-up from a fresh clone.
#   make lab    install, start the stack and JupyterLab, print the URLs
#   make test   install, start a separate test stack, run every test, stop it
#   make test-compose   the same checks on docker-compose.yaml (needs Docker)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
# The test stack lives apart from the learner's (.lab/, ports 8080...) so that
# `make test` never disturbs a running `make lab`.
TEST_ENV := AIRFLOW_LAB_HOME=$(CURDIR)/.lab-test AIRFLOW_LAB_PORT_OFFSET=100
# The multi-node (celery profile) tests run after, on a stack of their own.
CELERY_ENV := AIRFLOW_LAB_HOME=$(CURDIR)/.lab-test-celery AIRFLOW_LAB_PORT_OFFSET=150
# nbval runs the course notebooks in the sessions that collect them (tests/notebooks,
# tests/celery): cells marked `# NBVAL_CHECK_OUTPUT` must print what the committed
# notebook shows, after tests/notebooks/sanitize.cfg; some cells wait minutes.
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=600 --nbval-sanitize-with=tests/notebooks/sanitize.cfg

.PHONY: lab test test-compose test-faults test-celery install up down status lint format lock images notebooks bench clean

lab: install
	$(VENV)/bin/airflow-lab lab

# Three pytest sessions, one after the other, so that no two stacks compete for a
# laptop's two cores: the one-node stack (unit, integration, notebooks, faults), a
# stack of its own for the lifecycle cases (Ctrl-C, crash, busy port), then the
# celery profile. Every session runs; the target fails if any failed.
# (Exit code 5, "no tests collected", is fine when PYTEST_ARGS selects a subset.)
test: install
	@rc=0; \
	$(TEST_ENV) $(PY) -m pytest tests/unit tests/integration tests/notebooks $(NBVAL) $(PYTEST_ARGS) || [ $$? -eq 5 ] || rc=1; \
	$(PY) -m pytest tests/lifecycle $(PYTEST_ARGS) || [ $$? -eq 5 ] || rc=1; \
	$(CELERY_ENV) $(PY) -m pytest tests/celery $(NBVAL) $(PYTEST_ARGS) || [ $$? -eq 5 ] || rc=1; \
	exit $$rc

# docker-compose.yaml, run for real (needs Docker and Compose v2): up as the file's
# header says, the pipeline, the seed's tasks test, notebooks 00/06a/07 and the
# celery profile, then down -v. Builds stand-in images when Docker Hub is out of reach.
test-compose: install
	compose/test-compose.sh $(PYTEST_ARGS)

# The fault cases alone (they are part of `make test` too).
test-faults: install
	$(TEST_ENV) $(PY) -m pytest tests/integration tests/lifecycle -m faults $(PYTEST_ARGS)

test-celery: install
	$(CELERY_ENV) $(PY) -m pytest tests/celery $(NBVAL) $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet uv==0.13.8
	$(UV) pip install --python $(PY) --compile-bytecode --quiet -r requirements.lock
	$(UV) pip install --python $(PY) --compile-bytecode --quiet --no-deps -e .
	@touch $@

up down status: install
	$(VENV)/bin/airflow-lab $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Regenerate the lock after changing dependencies in pyproject.toml.
lock: install
	$(UV) pip compile pyproject.toml --universal --python-version 3.11 -o requirements.lock

# Re-execute every notebook in place against the running `make lab` stack, so the
# committed outputs come from a real run (what a reader sees on the web).
notebooks: install
	$(VENV)/bin/airflow-lab up
	cd notebooks && for nb in [0-9]*.ipynb; do \
		echo "== $$nb"; ../$(VENV)/bin/papermill --cwd . --no-progress-bar "$$nb" "$$nb" || exit 1; \
	done

bench: install
	$(PY) benchmarks/stack_bench.py
	$(PY) benchmarks/fanout_bench.py
	$(VENV)/bin/airflow-lab up
	$(PY) benchmarks/notebook_bench.py

# Diagrams: images/src/ -> images/*.svg and *.png; then screenshots of the UI from
# the live lab stack, taken by Debian's chromium (apt install chromium) driven by
# Playwright, which is installed here only: learners' venvs do not need it.
# A test checks both are fresh.
PLAYWRIGHT := playwright==1.65.2
images: install
	$(PY) images/build.py
	$(UV) pip install --python $(PY) --quiet $(PLAYWRIGHT)
	$(VENV)/bin/airflow-lab up
	$(PY) images/screenshots.py

clean:
	-$(VENV)/bin/airflow-lab down
	-$(TEST_ENV) $(VENV)/bin/airflow-lab down
	-$(CELERY_ENV) $(VENV)/bin/airflow-lab down
	rm -rf .lab-test .lab-test-celery .lab-test-lifecycle
