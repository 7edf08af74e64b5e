"""Benchmarks of cdk-serverless-crud; ``python -m bench`` writes docs/performance.md.

See bench/README.md for what each benchmark measures and how.
"""
