"""Terraform front door pieces that need no provider: `apply -json` progress (scripts/local/
terraform.py), init-argument routing and the deploy command order (scripts/tf.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import tf
from scripts.envs import environments
from scripts.local.terraform import LocalTerraform, Progress, TerraformError

REPO_ROOT = Path(__file__).resolve().parents[2]

# Event lines in the shape of Terraform's machine-readable UI (`terraform apply -json`).
EVENTS = [
    {"@level": "info", "@message": "Terraform 1.11.4", "type": "version", "terraform": "1.11.4"},
    {"@message": "aws_kms_key.this: Plan to create", "type": "planned_change",
     "change": {"resource": {"addr": "aws_kms_key.this"}, "action": "create"}},
    {"@message": "aws_sqs_queue.q: Plan to create", "type": "planned_change",
     "change": {"resource": {"addr": "aws_sqs_queue.q"}, "action": "create"}},
    {"@message": "aws_iam_role.r: no-op", "type": "planned_change",
     "change": {"resource": {"addr": "aws_iam_role.r"}, "action": "noop"}},
    {"@message": "data.aws_region.current: Reading...", "type": "apply_start",
     "hook": {"resource": {"addr": "data.aws_region.current"}, "action": "read"}},
    {"@message": "data.aws_region.current: Read complete after 0s", "type": "apply_complete",
     "hook": {"resource": {"addr": "data.aws_region.current"}, "action": "read"}},
    {"@message": "Plan: 2 to add, 0 to change, 0 to destroy.", "type": "change_summary",
     "changes": {"add": 2, "change": 0, "remove": 0, "operation": "plan"}},
    {"@message": "aws_kms_key.this: Creating...", "type": "apply_start",
     "hook": {"resource": {"addr": "aws_kms_key.this"}, "action": "create"}},
    {"@message": "aws_kms_key.this: Creation complete after 1s", "type": "apply_complete",
     "hook": {"resource": {"addr": "aws_kms_key.this"}, "action": "create"}},
    {"@message": "aws_sqs_queue.q: Creating...", "type": "apply_start",
     "hook": {"resource": {"addr": "aws_sqs_queue.q"}, "action": "create"}},
    {"@message": "aws_sqs_queue.q: Creation complete after 0s", "type": "apply_complete",
     "hook": {"resource": {"addr": "aws_sqs_queue.q"}, "action": "create"}},
    {"@message": "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.", "type": "change_summary",
     "changes": {"add": 2, "change": 0, "remove": 0, "operation": "apply"}},
]  # fmt: skip


def test_progress_counts_resources_done_of_total() -> None:
    progress = Progress("apply")
    seen = []
    for event in EVENTS:
        if progress.feed(event):
            seen.append((progress.done, progress.total))
    assert seen == [(0, 1), (0, 2), (0, 2), (1, 2), (1, 2), (2, 2)]
    assert progress.line() == "terraform apply: 2/2 resources"


def test_progress_names_failures() -> None:
    progress = Progress("destroy")
    progress.feed({"type": "planned_change", "change": {"resource": {"addr": "a.b"}, "action": "delete"}})
    progress.feed({"type": "apply_errored", "hook": {"resource": {"addr": "a.b"}, "action": "delete"}})
    assert progress.line().startswith("terraform destroy: 0/1 resources, 1 failed")


def _fake_terraform(tmp_path: Path, lines: list[str], exit_code: int = 0) -> Path:
    out = tmp_path / "events.jsonl"
    out.write_text("".join(line + "\n" for line in lines))
    script = tmp_path / "terraform"
    script.write_text(f"#!/bin/sh\ncat {out}\nexit {exit_code}\n")
    script.chmod(0o755)
    return script


def test_apply_json_events_reach_the_callback_and_the_log(tmp_path: Path) -> None:
    runner = LocalTerraform("http://127.0.0.1:1", tmp_path / "work")
    runner.binary = str(_fake_terraform(tmp_path, [json.dumps(e) for e in EVENTS]))
    shown: list[str] = []
    counted = runner.run_json("apply", "-auto-approve", progress=lambda p: shown.append(p.line()))
    assert (counted.done, counted.total) == (2, 2)
    assert shown[-1] == "terraform apply: 2/2 resources"
    log = runner.log_path.read_text()
    assert "aws_sqs_queue.q: Creation complete after 0s" in log  # the human message, not the JSON
    assert '"type"' not in log


def test_failed_apply_raises_with_the_diagnostic(tmp_path: Path) -> None:
    error = {
        "@level": "error",
        "@message": "Error: creating KMS key",
        "type": "diagnostic",
        "diagnostic": {"severity": "error", "summary": "creating KMS key", "detail": "AccessDenied"},
    }
    runner = LocalTerraform("http://127.0.0.1:1", tmp_path / "work")
    runner.binary = str(_fake_terraform(tmp_path, [json.dumps(EVENTS[1]), json.dumps(error)], exit_code=1))
    with pytest.raises(TerraformError, match=r"(?s)apply failed.*Error: creating KMS key.*AccessDenied"):
        runner.run_json("apply")


@pytest.mark.parametrize(
    ("extra", "init", "rest"),
    [
        ([], [], []),
        (["-target=module.pipeline"], [], ["-target=module.pipeline"]),
        (
            ["-backend-config=bucket=b", "-target=x", "-reconfigure", "-var=a=1"],
            ["-backend-config=bucket=b", "-reconfigure"],
            ["-target=x", "-var=a=1"],
        ),
        (["-backend-config", "backend.hcl", "-target=x"], ["-backend-config", "backend.hcl"], ["-target=x"]),
        (["-upgrade", "-lock=false"], ["-upgrade"], ["-lock=false"]),
    ],
)
def test_init_flags_go_to_init(extra: list[str], init: list[str], rest: list[str]) -> None:
    assert tf.split_init_args(extra) == (init, rest)


def test_destroy_initialises_first() -> None:
    commands = tf.deploy_commands("terraform", "dev", "destroy", ["-backend-config=bucket=b", "-target=x"])
    assert [c[2] for c in commands] == ["init", "destroy"]
    assert commands[0][-1] == "-backend-config=bucket=b"
    assert commands[1][-1] == "-target=x"
    assert all(c[1].endswith("/envs/dev") and c[1].startswith("-chdir=") for c in commands)


def test_s3_state_key_defaults_to_the_environment_and_a_given_key_wins() -> None:
    (init, _) = tf.deploy_commands(
        "terraform", "staging", "apply", ["-backend-config=bucket=b", "-backend-config=key=other.tfstate"]
    )
    backend = [arg for arg in init if arg.startswith("-backend-config")]
    # Terraform applies -backend-config in order: the environment's file after the default key,
    # the caller's arguments last, so a key they give wins.
    assert backend == [
        "-backend-config=key=envs/staging/terraform.tfstate",
        f"-backend-config={REPO_ROOT / 'config' / 'staging.backend.hcl'}",
        "-backend-config=bucket=b",
        "-backend-config=key=other.tfstate",
    ]
    (init, _) = tf.deploy_commands("terraform", "local", "apply", [])
    assert not [arg for arg in init if arg.startswith("-backend-config")]  # local state: no key


def test_an_unknown_environment_is_refused_before_terraform_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert tf.main(["--env", "qa", "apply"]) == 2
    err = capsys.readouterr().err
    assert "no environment 'qa'" in err
    assert "known environments: " + ", ".join(environments()) in err


def test_outputs_unfold_the_env_roots_one_pipeline_output(tmp_path: Path) -> None:
    shown = {
        "pipeline": {"value": {"table_name": "crypto-prices-local-ticks", "webhook_url": "http://x/"}},
        "extra": {"value": 1},
    }
    runner = LocalTerraform("http://127.0.0.1:1", tmp_path / "work")
    runner.state_path.parent.mkdir(parents=True)
    runner.state_path.write_text(json.dumps({"version": 4, "outputs": shown}))
    assert runner.outputs() == {
        "table_name": "crypto-prices-local-ticks",
        "webhook_url": "http://x/",
        "extra": 1,
    }


def _destroy_failing_once(tmp_path: Path, message: str) -> tuple[Path, Path]:
    """A terraform whose first destroy fails with ``message`` and whose next one succeeds; each
    call's arguments are appended to the returned calls file."""
    calls = tmp_path / "calls"
    script = tmp_path / "terraform"
    diagnostic = json.dumps({"@level": "error", "@message": message, "type": "diagnostic"})
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {calls}\n'
        f"if [ ! -e {tmp_path}/failed ]; then touch {tmp_path}/failed; echo '{diagnostic}'; exit 1; fi\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    return script, calls


GONE_MESSAGE = (
    "Error: deleting AWS DynamoDB Table (crypto-prices-local-ticks): operation error DynamoDB: "
    "DeleteTable, https response error StatusCode: 400, RequestID: r1, ResourceNotFoundException: "
    "Requested resource not found"
)


def test_a_destroy_whose_delete_finds_nothing_runs_again_refreshing(tmp_path: Path) -> None:
    runner = LocalTerraform("http://127.0.0.1:1", tmp_path / "work")
    runner.state_path.parent.mkdir(parents=True)
    runner.state_path.write_text("{}")
    script, calls = _destroy_failing_once(tmp_path, GONE_MESSAGE)
    runner.binary = str(script)
    runner.destroy()
    first, second = calls.read_text().splitlines()
    assert "-refresh=false" in first.split()
    assert "-refresh=false" not in second.split()


def test_any_other_destroy_failure_is_raised_at_once(tmp_path: Path) -> None:
    runner = LocalTerraform("http://127.0.0.1:1", tmp_path / "work")
    runner.state_path.parent.mkdir(parents=True)
    runner.state_path.write_text("{}")
    conflict = (
        "Error: deleting IAM Role (r): operation error IAM: DeleteRole, https response error "
        "StatusCode: 409, RequestID: r2, DeleteConflict: Cannot delete entity, must detach all policies."
    )
    script, calls = _destroy_failing_once(tmp_path, conflict)
    runner.binary = str(script)
    with pytest.raises(TerraformError, match="DeleteConflict"):
        runner.destroy()
    assert len(calls.read_text().splitlines()) == 1
