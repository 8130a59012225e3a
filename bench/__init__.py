"""Benchmarks: `make bench` (python -m bench [full|small] [name ...])."""
