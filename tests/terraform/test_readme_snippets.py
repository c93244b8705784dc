"""Every HCL snippet of a module README is a complete module call, and every README's snippets are
planned together (one root per README) against the module as it is, so the docs cannot drift from the
interface. What a snippet refers to outside itself (a key, a table, a queue) comes from SUPPORT."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import hcl2
import pytest
from tfhelpers import REPO_ROOT, Root

READMES = sorted(REPO_ROOT.glob("modules/*/README.md"))
SNIPPET = re.compile(r"^```hcl\n(.*?)^```", re.MULTILINE | re.DOTALL)
SOURCE = re.compile(r'(?m)^(\s*source\s*=\s*)"[^"]*modules/([a-z0-9-]+)"')
ZIP = re.compile(r'"([A-Za-z0-9_./-]+\.zip)"')

#: What the snippets of a README refer to without defining it, by module.
SUPPORT = {
    "dynamodb-stream": """
module "kms" {
  source                = "../../modules/kms"
  name                  = "readme-dynamodb"
  account_id            = "123456789012"
  region                = "us-east-1"
  log_group_name_prefix = "/aws/lambda/readme-"
}
""",
    "lambda-with-dlq": """
module "kms" {
  source                = "../../modules/kms"
  name                  = "readme-lambda"
  account_id            = "123456789012"
  region                = "eu-west-1"
  log_group_name_prefix = "/aws/lambda/readme-"
}

module "table" {
  source      = "../../modules/dynamodb-stream"
  name        = "orders"
  kms_key_arn = module.kms.key_arn
}

resource "aws_sqs_queue" "jobs" {
  name                       = "jobs"
  visibility_timeout_seconds = 180
}

resource "aws_kms_key" "stream" {
  description         = "readme: the stream's key"
  enable_key_rotation = true
}

resource "aws_kinesis_stream" "trades" {
  name            = "trades"
  encryption_type = "KMS"
  kms_key_id      = aws_kms_key.stream.arn
  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}
""",
}


def snippets(readme: Path) -> list[str]:
    return SNIPPET.findall(readme.read_text())


def test_snippets_are_found_and_every_one_is_a_module_call():
    found = {r.parent.name: snippets(r) for r in READMES}
    assert sum(len(s) for s in found.values()) >= 7, found
    for module, texts in found.items():
        for text in texts:
            calls = hcl2.loads(text).get("module", [])
            assert calls, f"modules/{module}/README.md: a snippet that is no module call:\n{text}"
            assert SOURCE.search(text), f"modules/{module}/README.md: a snippet without a modules/ source"
    assert set(SUPPORT) <= set(found)


def _root(workspace: Path, module: str, texts: list[str]) -> str:
    """A root of the README's snippets (sources pointed at the scratch modules/) and their support."""
    relpath = f"readme/{module}"
    folder = workspace / relpath
    folder.mkdir(parents=True, exist_ok=True)
    example = REPO_ROOT / "modules" / "kms" / "examples" / "basic"
    for name in ("providers.tf", "versions.tf"):
        shutil.copy(example / name, folder / name)
    body = "\n".join(SOURCE.sub(r'\1"../../modules/\2"', text) for text in texts)
    (folder / "snippets.tf").write_text(body + SUPPORT.get(module, ""))
    for name in set(ZIP.findall(body)):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return relpath


@pytest.mark.terraform
@pytest.mark.parametrize("readme", [r for r in READMES if snippets(r)], ids=lambda r: r.parent.name)
def test_readme_snippets_plan(readme: Path, tf_workspace: Path, tf_env: dict[str, str]):
    module = readme.parent.name
    texts = snippets(readme)
    plan = Root(tf_workspace, _root(tf_workspace, module, texts), tf_env).plan()
    labels = [label for text in texts for call in hcl2.loads(text)["module"] for label in call]
    assert len(labels) == len(set(labels)), f"{readme}: module labels must differ across snippets"
    for label in labels:
        name = label.strip('"')
        assert any(a.startswith(f"module.{name}.") for a in plan.resources), (
            f"{readme}: {name} planned nothing"
        )
