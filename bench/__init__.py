"""Benchmarks of mdeprereq: ``tools/bench`` runs them all and writes ``bench/RESULTS.md``.

Not tests: nothing here asserts a time. Each benchmark runs in its own process (see
:mod:`bench.run`); the ones that need Salt daemons run under pytest (:mod:`bench.salt_daemons`).
"""
