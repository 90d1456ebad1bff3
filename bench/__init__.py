"""Rerunnable benchmarks: `make bench` (needs DATABASE_URL pointing at PostgreSQL)."""
