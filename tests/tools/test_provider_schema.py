"""The provider schema check (scripts/provider_schema.py): the repository's HCL against hashicorp/aws
5.100.0 and 6.25.0, from the committed extract; every failure mode shown on a changed copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import provider_schema
from scripts.provider_schema import V5, V6, Usage, check, file_usages, load_schema, repo_usages

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> dict:
    return load_schema()


@pytest.fixture(scope="module")
def usages() -> list[Usage]:
    return repo_usages()


def test_the_repository_passes_on_both_majors(schema: dict, usages: list[Usage]) -> None:
    # The scan reaches modules and their examples, blocks nested and dynamic.
    assert any(u.file.startswith("modules/notifications/examples/") for u in usages)
    assert (
        Usage(
            "modules/lambda-with-dlq/main.tf",
            "resource",
            "aws_lambda_function",
            ("tracing_config", "mode"),
            False,
        )
        in usages
    )
    assert (
        Usage(
            "modules/lambda-with-dlq/event_sources.tf",
            "resource",
            "aws_lambda_event_source_mapping",
            ("filter_criteria", "filter"),
            True,
        )
        in usages
    )
    assert check(usages, schema) == []


def test_the_cli_reports_success_and_failure(
    usages: list[Usage], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(provider_schema, "repo_usages", lambda: usages)
    assert provider_schema.main([]) == 0
    wrong = Usage("m.tf", "resource", "aws_sqs_queue", ("redrive_policy_json",), False)
    monkeypatch.setattr(provider_schema, "repo_usages", lambda: [*usages, wrong])
    assert provider_schema.main([]) == 1
    assert f"m.tf: resource aws_sqs_queue argument redrive_policy_json: absent from hashicorp/aws {V6}" in (
        capsys.readouterr().err
    )


def test_an_argument_removed_by_6_fails(tmp_path: Path, schema: dict) -> None:
    """aws_flow_log's log_group_name exists in 5.100 and was removed by 6.0 (upgrade guide)."""
    path = tmp_path / "flow.tf"
    path.write_text('resource "aws_flow_log" "x" {\n  log_destination = "arn"\n}\n')
    assert check(file_usages(path, "flow.tf"), schema) == []
    path.write_text('resource "aws_flow_log" "x" {\n  log_group_name = "arn"\n}\n')
    problems = check(file_usages(path, "flow.tf"), schema)
    assert (
        f"flow.tf: resource aws_flow_log argument log_group_name: absent from hashicorp/aws {V6}" in problems
    )
    assert not [p for p in problems if f"absent from hashicorp/aws {V5}" in p], problems


def test_a_renamed_argument_in_a_module_fails(tmp_path: Path, schema: dict) -> None:
    name = "modules/lambda-with-dlq/main.tf"
    text = (REPO / name).read_text()
    assert "  reserved_concurrent_executions = " in text
    copy = tmp_path / "main.tf"
    copy.write_text(text.replace("  reserved_concurrent_executions = ", "  reserved_concurrency = ", 1))
    problems = check(file_usages(copy, name), schema)
    where = "modules/lambda-with-dlq/main.tf: resource aws_lambda_function argument reserved_concurrency"
    assert problems == [
        f"{where}: absent from hashicorp/aws {V5}",
        f"{where}: absent from hashicorp/aws {V6}",
    ]


KIND_CASES = {
    "block as argument": (
        'resource "aws_lambda_function" "x" {\n  tracing_config = { mode = "Active" }\n}\n',
        "f.tf: resource aws_lambda_function argument tracing_config: "
        f"a block in {V6}, written as an argument",
    ),
    "argument as block": (
        'resource "aws_lambda_function" "x" {\n  runtime {\n    name = "python3.13"\n  }\n}\n',
        f"f.tf: resource aws_lambda_function block runtime: an argument in {V6}, written as a block",
    ),
    "deprecated": (
        'resource "aws_iam_role" "x" {\n  managed_policy_arns = []\n}\n',
        f"f.tf: resource aws_iam_role argument managed_policy_arns: deprecated in hashicorp/aws {V5}",
    ),
    "unknown type": (
        'resource "aws_simpledb_domain" "x" {\n  name = "d"\n}\n',
        f"f.tf: resource aws_simpledb_domain block (type): type absent from hashicorp/aws {V6}",
    ),
}


@pytest.mark.parametrize(("text", "problem"), KIND_CASES.values(), ids=KIND_CASES.keys())
def test_a_wrong_kind_a_deprecation_or_an_unknown_type_fails(
    tmp_path: Path, schema: dict, text: str, problem: str
) -> None:
    path = tmp_path / "f.tf"
    path.write_text(text)
    assert problem in check(file_usages(path, "f.tf"), schema)


def test_the_extract_names_its_source() -> None:
    package, version, sha256 = provider_schema.locked_wheel()
    assert (package, version) == ("cdktf-cdktf-provider-aws", "21.22.1")
    assert load_schema()["_source"][V6] == f"{package}=={version} sha256:{sha256}"


@pytest.mark.provider_schema
@pytest.mark.terraform
def test_the_committed_extract_matches_the_wheel() -> None:
    """Downloads the hash-locked wheel (59 MB, once into build/) and extracts again."""
    assert provider_schema.main(["--verify"]) == 0
