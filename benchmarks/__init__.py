"""Benchmarks of mlx_lr_scheduler against torch 2.13: ``python -m benchmarks [--quick]``.

Every comparison is measured side by side in one run (the cases of a comparison
interleaved, round after round, so a noisy neighbour slows all of them alike),
and the results are written to ``docs/benchmarks.md``. Nothing here asserts a
timing; ``tests/test_benchmarks_smoke.py`` only runs ``--quick`` to keep the
script working.
"""
