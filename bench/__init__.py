"""Benchmark harness: a large generated organisation (bench.generate) and page timings
(bench.pages). Results and how to reproduce them are in bench/RESULTS.md."""
