"""Harness shared by the tests and the benchmark (``scripts/bench``): AWS call counting, fault
injection, the pipeline's resources built directly on moto, the handlers loaded in-process,
signed ticks and a stream reader.

It imports product tools (``scripts/*.py``) and the local runtime (``scripts/local``), never
``scripts.bench``: the benchmark depends on this package, not the other way round.
"""
