"""Shared domain code of the price pipeline: ticks, signatures, keys, indicators.

Both function zips include this package at their root, so ``import pricing`` works
the same way in a test and on Lambda. Nothing here imports boto3 or performs I/O.
"""
