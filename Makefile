# The two commands from the README. Both set everything up first.
.PHONY: run test setup lint
run:
	bash scripts/run.sh
test:
	bash scripts/test.sh
setup:
	bash scripts/bootstrap.sh
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy
