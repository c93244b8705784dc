"""Fake credentials and boto3 clients aimed at the local moto server."""

from __future__ import annotations

import os

import boto3
from botocore.config import Config

from scripts.ops.target import AwsClients

REGION = "us-east-1"

FAKE_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # boto3 >= 1.40 would otherwise try account-id based endpoints
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


def aws_env(endpoint: str) -> dict[str, str]:
    """Environment for any AWS SDK (or terraform) process that must talk to moto only."""
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}


def use_moto_env(endpoint: str) -> None:
    """Point this process's AWS SDK at moto (fake credentials, endpoint, region)."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(aws_env(endpoint))


class Clients(AwsClients):
    """boto3 clients for the moto endpoint, created once each."""

    def __init__(self, endpoint: str, region: str = REGION) -> None:
        session = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=region,
        )
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=20)
        super().__init__(session, endpoint, config)
        self.endpoint: str = endpoint
        self.region = region
