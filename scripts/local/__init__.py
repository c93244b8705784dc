"""`make local`: the whole pipeline on a local moto server, deployed by Terraform.

``python -m scripts.local`` starts moto on 127.0.0.1, applies ``envs/local`` to it,
serves the webhook handler behind a local Function URL look-alike, plays the event
source mapping's part for the enricher with real DynamoDB stream records, drives a
signed demo feed through it and prints a summary (see ``__main__``).
"""
