"""Runs every benchmark in this package, one after the other, each printing its own
report: python -m benchmarks [--runs N] [--quick] [--json PATH]."""

import argparse
import importlib
import pkgutil

import benchmarks

from . import _util


def benchmark_names():
    """Modules of this package that are benchmarks: public, with a main(argv)."""
    names = []
    for module in pkgutil.iter_modules(benchmarks.__path__):
        if module.name.startswith("_"):
            continue
        if hasattr(importlib.import_module(f"benchmarks.{module.name}"), "main"):
            names.append(module.name)
    return sorted(names)


def main():
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, help="runs per case (each benchmark has its default)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run of each benchmark")
    parser.add_argument("--json", metavar="PATH", help="also write all results as one JSON file")
    options = parser.parse_args()
    argv = (["--runs", str(options.runs)] if options.runs else []) + (["--quick"] if options.quick else [])
    results = {}
    for name in benchmark_names():
        print(f"== benchmarks.{name}", flush=True)
        results[name] = importlib.import_module(f"benchmarks.{name}").main(argv)
        print(flush=True)
    if options.json:
        _util.write_json(options.json, results)


if __name__ == "__main__":
    main()
