# Two commands on a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEV_ENV := DJANGO_DEBUG=1
# The port `make run` serves on: `make run PORT=8001`.
PORT ?= 8000

.PHONY: install run test bench bench-load migrate demo messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(DEV_ENV) $(PY) manage.py migrate --no-input

demo: migrate
	$(DEV_ENV) $(PY) manage.py seed_demo --if-empty
	$(DEV_ENV) $(PY) manage.py recompute_coverage

run: demo
	@$(DEV_ENV) $(PY) manage.py demo_logins --port $(PORT)
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# pytest exits 5 when no test was collected: that is a failure here, not a pass.
test: install
	@$(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

bench: install
	$(PY) -m bench $(BENCH_ARGS)

# 50 signed-in reps at once (locust) on the production web command (gunicorn, debug off) over loopback, on the bench
# database as `make bench` left it: p50/p95/p99 per request kind, errors, the highest rate with p95 < 200 ms.
# Needs DATABASE_URL (PostgreSQL); `make bench-load LOAD_ARGS="--no-ceiling"`. docs/benchmarks.md, "bench-load".
bench-load: install
	$(PY) -m bench.load $(LOAD_ARGS)

# Japanese catalogue: collect new messages (needs GNU gettext), translate the empty and fuzzy ones in
# locale/ja/LC_MESSAGES/django.po, then `make messages` again to compile. tests/core/test_translations.py checks.
messages: install
	$(DEV_ENV) $(PY) manage.py makemessages -l ja --no-obsolete --ignore=$(VENV) --ignore=tests --ignore=bench-data --ignore=staticfiles
	$(DEV_ENV) $(PY) manage.py compilemessages -l ja --ignore=$(VENV)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
