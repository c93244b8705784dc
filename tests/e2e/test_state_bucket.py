"""bootstrap/state-bucket (``make state-bucket ENV=<env>``): applied on a moto server, the bucket the
S3 backend needs exists with versioning, encryption, public access blocked, owner-only objects and a
TLS-only policy; the command takes the bucket and region of config/<env>.backend.hcl.

moto enforces no bucket policy: the policy is checked as written, not by a refused plain-HTTP call."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scripts import state_bucket
from scripts.errors import UserError
from scripts.local.aws import Clients
from scripts.local.moto_server import MotoServer
from scripts.local.terraform import LocalTerraform

pytestmark = [pytest.mark.terraform, pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[2]
#: moto serves buckets by path, never as <bucket>.<host>: the only setting a test adds to the root.
PATH_STYLE = 'provider "aws" {\n  s3_use_path_style = true\n}\n'


def test_the_state_bucket_root_makes_a_bucket_fit_for_state(tmp_path: Path) -> None:
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
