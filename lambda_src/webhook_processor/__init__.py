"""Webhook processor: a Lambda Function URL that verifies, validates and stores price ticks."""
