"""Benchmarks of channels1 against the packages it replaces, each runnable on its own
(`python -m benchmarks.NAME`) or all together (`python -m benchmarks`)."""
