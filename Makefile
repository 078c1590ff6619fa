# The obvious targets. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 5000
# The tests use the machine's PostgreSQL and Redis (see README, "Tests").
export HOTLINE_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export HOTLINE_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?= -n 2
# The SQLite run waits on Chromium and on idle networks in its browser tests: a third worker
# fills those waits (measured: 2 workers kept the 2 cores 80 % busy).
SQLITE_PYTEST_ARGS ?= -n 3

.PHONY: install run demo test test-setup test-sqlite test-postgresql lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The semantic model's engine compiled for this CPU (knowledge_base/search/engine.py): about 1.5
# times the wheel's speed; without a C compiler the wheel's engine serves.
ENGINE := $(VENV)/.engine-built
$(ENGINE): $(STAMP) knowledge_base/search/engine.py
	$(BIN)/python -m knowledge_base.search.engine
	touch $(ENGINE)

install: $(STAMP) $(ENGINE)

# Run the product on the embedded default (SQLite, no Redis) with the demo city.
run: install
	HOTLINE_ENV=development $(BIN)/flask --app wsgi db upgrade
	HOTLINE_ENV=development $(BIN)/flask --app wsgi demo seed
	HOTLINE_ENV=development $(BIN)/flask --app wsgi run --port $(PORT)

demo: install
	HOTLINE_ENV=development $(BIN)/flask --app wsgi db upgrade
	HOTLINE_ENV=development $(BIN)/flask --app wsgi demo seed

# Everything CI checks: lint, the suite on SQLite, the suite on PostgreSQL + Redis (the
# dialect-independent tests, marked any_database, run on SQLite only).
test: install test-setup lint test-sqlite test-postgresql

# Starts PostgreSQL and Redis if they do not answer; installs Chromium and the font if missing.
test-setup:
	bash scripts/test-setup.sh

test-sqlite: install test-setup
	HOTLINE_TEST_DB=sqlite $(BIN)/pytest $(SQLITE_PYTEST_ARGS)

test-postgresql: install test-setup
	HOTLINE_TEST_DB=postgresql $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_docs.py

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	@ls bench/*.py | grep -v _probe | while read f; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
