"""Upgrading a table of release 0.1.0 (LSI ``by_ts``) replaces it, and deletion protection stops that.

A local secondary index can only be set when a table is created, so dropping ``by_ts``
forces a new table: the plan must say so plainly (delete, then create) and an apply over a
protected table must fail instead of losing data. Runs Terraform against a moto server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.local.aws import Clients
from scripts.local.moto_server import MotoServer
from scripts.local.terraform import LocalTerraform, TerraformError

pytestmark = [pytest.mark.terraform, pytest.mark.e2e]

MODULE = Path(__file__).resolve().parents[2] / "modules" / "dynamodb-stream"
#: The index release 0.1.0 gave the price table (CHANGELOG.md).
RELEASE_0_1_INDEX = """[{
  name = "by_ts", range_key = "ts", range_key_type = "N",
  projection_type = "INCLUDE", non_key_attributes = ["price"]
}]"""


def root(tf_dir: Path, indexes: str, protected: bool) -> None:
    tf_dir.mkdir(parents=True, exist_ok=True)
    (tf_dir / "main.tf").write_text(
        f"""
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 5.100" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}}
module "table" {{
  source                  = "{MODULE}"
  name                    = "upgrade-ticks-{"protected" if protected else "open"}"
  kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  deletion_protection     = {str(protected).lower()}
  local_secondary_indexes = {indexes}
}}
"""
    )


def table_change(terraform: LocalTerraform, work: Path) -> dict[str, object]:
    plan = work / "upgrade.tfplan"
    terraform.run("plan", "-input=false", "-no-color", f"-out={plan}", *terraform._state_args)
    shown = json.loads(terraform.run("show", "-json", "-no-color", str(plan), capture=True))
    (change,) = [c for c in shown["resource_changes"] if c["type"] == "aws_dynamodb_table"]
    return change


@pytest.mark.parametrize("protected", [False, True], ids=["unprotected", "protected"])
def test_dropping_the_lsi_replaces_the_table_and_protection_stops_it(
    deploy_moto: MotoServer, tmp_path: Path, protected: bool
) -> None:
    tf_dir, work = tmp_path / "root", tmp_path / "work"
    root(tf_dir, RELEASE_0_1_INDEX, protected)
    terraform = LocalTerraform(deploy_moto.endpoint, work, tf_dir=tf_dir)
    terraform.init()
    terraform.apply()

    root(tf_dir, "[]", protected)  # this release: no index
    change = table_change(terraform, work)
    assert change["change"]["actions"] == ["delete", "create"]  # type: ignore[index]
    assert ["local_secondary_index"] in change["change"]["replace_paths"]  # type: ignore[index]

    if protected:
        with pytest.raises(TerraformError, match=r"(?i)deletion protection|protected"):
            terraform.apply()
        # The table is still there, data and all. Clean up: lift the protection outside Terraform.
        table = "upgrade-ticks-protected"
        ddb = Clients(deploy_moto.endpoint)("dynamodb")
        assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
        ddb.update_table(TableName=table, DeletionProtectionEnabled=False)
    else:
        terraform.apply()
    terraform.destroy()
