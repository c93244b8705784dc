"""The first deployment's path on a moto server: bootstrap/state-bucket (``make state-bucket ENV=<env>``)
makes the bucket the S3 backend needs (versioning, encryption, public access blocked, owner-only
objects, a TLS-only policy), then ``make plan ENV=dev`` with credentials inits envs/dev on that bucket
from config/dev.backend.hcl alone, no TF_ARGS, and plans.

moto evaluates the bucket policy and serves plain HTTP: the TLS-only policy refuses its calls, as AWS
would; the test removes the policy only to stand for TLS before the plan."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.exceptions
import pytest

from scripts import state_bucket
from scripts.errors import UserError
from scripts.local.aws import Clients, aws_env
from scripts.local.moto_server import MotoServer
from scripts.local.terraform import LocalTerraform

pytestmark = [pytest.mark.terraform, pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[2]
#: moto serves buckets by path, never as <bucket>.<host>: the only setting a test adds to the root.
PATH_STYLE = 'provider "aws" {\n  s3_use_path_style = true\n}\n'


def _plan_dev_with_the_backend_file(
    tmp_path: Path, endpoint: str
) -> tuple[Path, subprocess.CompletedProcess]:
    """``python -m scripts.plan --env dev`` (what ``make plan ENV=dev`` runs) in a copy of the
    repository whose config names moto's account and the bucket, with moto's credentials."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*", "__pycache__")
    for part in ("scripts", "modules", "config", "envs"):
        shutil.copytree(REPO_ROOT / part, copy / part, ignore=ignore)
    config = copy / "config" / "dev.yaml"
    config.write_text(config.read_text().replace('account_id: "111111111111"', 'account_id: "123456789012"'))
    # Any S3 backend argument goes in the file; moto needs path-style requests and has no STS check.
    (copy / "config" / "dev.backend.hcl").write_text(
        'bucket = "acme-state"\nregion = "us-east-1"\nuse_path_style = true\n'
        "skip_credentials_validation = true\nskip_requesting_account_id = true\n"
    )
    zips = tmp_path / "zips"
    zips.mkdir()
    for name in ("webhook_processor.zip", "price_enricher.zip"):
        (zips / name).write_bytes(b"not read by a plan but hashed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_ARGS"))}
    env.update({**aws_env(endpoint), "AWS_DEFAULT_REGION": "us-east-1"})
    planned = subprocess.run(
        [sys.executable, "-m", "scripts.plan", "--env", "dev", "--no-summary", "--build", str(zips)],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return copy, planned


def test_the_state_bucket_then_a_plan_on_it_without_tf_args(tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(state_bucket.ROOT, root, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    (root / "moto_override.tf").write_text(PATH_STYLE)
    server = MotoServer(log_path=tmp_path / "moto.log").start()
    try:
        tf = LocalTerraform(
            server.endpoint,
            tmp_path / "work",
            tf_dir=root,
            variables={"bucket": "acme-state", "region": "us-east-1"},
        )
        tf.init()
        tf.apply()
        s3 = Clients(server.endpoint)("s3")
        assert s3.get_bucket_versioning(Bucket="acme-state")["Status"] == "Enabled"
        assert s3.get_public_access_block(Bucket="acme-state")["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        (rule,) = s3.get_bucket_encryption(Bucket="acme-state")["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        (ownership,) = s3.get_bucket_ownership_controls(Bucket="acme-state")["OwnershipControls"]["Rules"]
        assert ownership["ObjectOwnership"] == "BucketOwnerEnforced"
        (statement,) = json.loads(s3.get_bucket_policy(Bucket="acme-state")["Policy"])["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert sorted(statement["Resource"]) == ["arn:aws:s3:::acme-state", "arn:aws:s3:::acme-state/*"]
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            s3.put_object(Bucket="acme-state", Key="over-plain-http", Body=b"state")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        s3.delete_bucket_policy(Bucket="acme-state")

        copy, planned = _plan_dev_with_the_backend_file(tmp_path, server.endpoint)
        assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr[-3000:]
        assert (
            "AWS credentials configured (source: env): normal init (S3 backend) and plan." in planned.stdout
        )
        # What init recorded: the environment's bucket and region, its own state key.
        backend = json.loads((copy / "envs" / "dev" / ".terraform" / "terraform.tfstate").read_text())[
            "backend"
        ]
        assert backend["type"] == "s3"
        assert {k: backend["config"][k] for k in ("bucket", "region", "key")} == {
            "bucket": "acme-state",
            "region": "us-east-1",
            "key": "envs/dev/terraform.tfstate",
        }
    finally:
        server.stop()


def test_make_state_bucket_takes_the_environments_backend_file(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UserError, match=r"config/dev.backend.hcl: the S3 backend needs bucket"):
        state_bucket.commands("terraform", "dev")
    monkeypatch.setattr(
        state_bucket.backend, "read_settings", lambda path: {"bucket": "acme-state", "region": "eu-west-1"}
    )
    init, apply = state_bucket.commands("terraform", "dev", ["-auto-approve"])
    assert init[1:] == [
        f"-chdir={state_bucket.ROOT}",
        "init",
        "-input=false",
        "-reconfigure",
        f"-backend-config=path={state_bucket.STATE_DIR / 'dev.tfstate'}",
    ]
    assert apply[2:] == [
        "apply",
        "-input=false",
        "-var=bucket=acme-state",
        "-var=region=eu-west-1",
        "-auto-approve",
    ]
