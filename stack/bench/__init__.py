"""Benchmarks of the stack itself (not timed tests): figures are ratios taken in one run."""
