"""Benchmarks: scaled knowledge generated from real reports (`corpus`) and the harness (`run`)."""
