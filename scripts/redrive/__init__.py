"""Replay stream batches that the enricher's event source mapping gave up on (its on-failure queue)."""
