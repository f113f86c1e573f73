"""Benchmark scripts: `seed.py` fills a database, `measure.py` prints figures from it (docs/BENCHMARKS.md)."""
