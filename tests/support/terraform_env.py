"""The environment of the tests' Terraform commands that plan offline."""

from __future__ import annotations

from scripts.tfcli import terraform_env


def terraform_test_env() -> dict[str, str]:
    """Environment for terraform in tests: provider mirror, fake credentials, no metadata API."""
    env = dict(terraform_env())
    env.update(
        {
            # The tests only plan; fake credentials make sure nothing reaches a real account.
            "AWS_ACCESS_KEY_ID": "AKIAOFFLINEPLANTEST0",
            "AWS_SECRET_ACCESS_KEY": "offline-plan-test-secret",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    return env
