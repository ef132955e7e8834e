PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test demo bench bench-trail bench-trail-project lint golden mappings managed-policies clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

test: install
	$(BIN)/pytest -q

demo: install
	$(BIN)/policygen generate examples/orders-service --region us-east-1 --account 123456789012 \
		--env-file examples/orders-service/deploy.env --explain

lint: install
	$(BIN)/ruff check policygen tests scripts bench fuzz
	$(BIN)/mypy

golden: install
	$(BIN)/python scripts/regen_golden.py

mappings: install managed-policies
	$(BIN)/python scripts/build_mappings.py

managed-policies: install
	$(BIN)/python scripts/build_managed_policies.py

bench: install
	$(BIN)/pip install -q iam-policy-autopilot==0.3.0
	$(BIN)/python bench/run.py

# trailscraper pins boto3 1.38 and click 8.1: it gets a venv of its own, never the project's.
bench-trail: install
	test -x .bench/trailscraper-venv/bin/trailscraper || \
		($(PYTHON) -m venv .bench/trailscraper-venv && .bench/trailscraper-venv/bin/pip install -q trailscraper==0.10.0)
	$(BIN)/python bench/trail.py $(SETS)

# a project's functions: one pass over the trail for all of them vs one read per function
bench-trail-project: install
	$(BIN)/python bench/trail.py project $(SET)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .bench
