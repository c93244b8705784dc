"""Every module example applied and destroyed by Terraform on a moto server, and the upgrade of
lambda-with-dlq from the last release: its state must plan as update-in-place or no-op, never a delete.

Examples are discovered (``modules/*/examples/*`` with a ``main.tf``), so a new example is applied here
without touching this file; an example whose defaults cannot be destroyed (deletion protection) gets
its throw-away values from ``tests/terraform/fixtures/<module>/<example>/apply.tfvars``.

moto enforces no IAM or KMS: what these tests prove is that every example's resources are accepted by
the provider and the (emulated) APIs and are all destroyed again, and that the KMS policies, whose key
ARNs exist only after apply, name the deployment's keys; the plan-time permissions are checked by the
plan tests (tests/terraform/test_tf_examples.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import hcl2
import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from scripts.local.moto_server import MotoServer
from scripts.local.terraform import LocalTerraform, declared_variables, terraform_variables
from scripts.tfdocs import read_module
from tests.e2e.tfstate import shown_resources, state_resources

pytestmark = [pytest.mark.terraform, pytest.mark.e2e]

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "terraform" / "fixtures"
EXAMPLES = sorted(p.parent for p in REPO_ROOT.glob("modules/*/examples/*/main.tf"))
#: The last commit before lambda-with-dlq took ``event_sources``: a stack deployed from it must carry
#: over by the module's moved blocks with no resource destroyed (tests/e2e/test_upgrade.py covers releases).
RELEASE = "db70c965c490b0e63ad3af2a645fc0b12c09a457"
#: Resource types whose instances must survive the upgrade (no delete of any of them).
KEPT_TYPES = {
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_lambda_event_source_mapping",
    "aws_lambda_function",
    "aws_lambda_function_url",
    "aws_sqs_queue",
}


@pytest.fixture(scope="session")
def zips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The function zips, built by scripts/package.py into a folder of this test's own."""
    out = tmp_path_factory.mktemp("zips")
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "package.py"), "--out", str(out)],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
    )
    return out


def zip_variables(tf_dir: Path, zips: Path) -> dict[str, str]:
    """Deployment zips for the variables a root declares (filename, webhook_zip, enricher_zip)."""
    wanted = {
        "filename": zips / "price_enricher.zip",
        "webhook_zip": zips / "webhook_processor.zip",
        "enricher_zip": zips / "price_enricher.zip",
    }
    declared = declared_variables(tf_dir)
    return {name: str(path) for name, path in wanted.items() if name in declared}


def moto_resources(moto: MotoServer) -> dict[str, list[str]]:
    """What the server still holds of the kinds every example creates: a destroy must leave none."""
    from scripts.local.aws import Clients

    clients = Clients(moto.endpoint)
    held = {
        "functions": [f["FunctionName"] for f in clients("lambda").list_functions()["Functions"]],
        "mappings": [
            m["UUID"] for m in clients("lambda").list_event_source_mappings()["EventSourceMappings"]
        ],
        "queues": clients("sqs").list_queues().get("QueueUrls", []),
        "roles": [r["RoleName"] for r in clients("iam").list_roles()["Roles"]],
        "log_groups": [g["logGroupName"] for g in clients("logs").describe_log_groups()["logGroups"]],
        "tables": clients("dynamodb").list_tables()["TableNames"],
        "streams": clients("kinesis").list_streams()["StreamNames"],
        "topics": [t["TopicArn"] for t in clients("sns").list_topics()["Topics"]],
    }
    return {kind: names for kind, names in held.items() if names}


def apply_var_file(root: Path) -> Path | None:
    """tests/terraform/fixtures/<module>/<example>/apply.tfvars: the values for a throw-away deployment
    (e.g. no deletion protection, so that the destroy can run), when the example's defaults are not."""
    module, example = root.parent.parent.name, root.name
    path = FIXTURES / module / example / "apply.tfvars"
    return path if path.is_file() else None


#: The one run of an example's apply test: `terraform test` applies the root with the command line's
#: variables, prints the state (``-verbose``) and then destroys everything the run created.
APPLY_RUN = 'run "apply" {\n  command = apply\n}\n'
APPLY_TESTS = "pytest-apply"


def unset_ephemeral_variables(root: Path, given: set[str]) -> list[str]:
    """The optional ephemeral variables of ``root`` that the apply leaves unset."""
    variables, _, _ = read_module(root)
    return [v.name for v in variables if v.ephemeral and v.default is not None and v.name not in given]


def apply_and_destroy(
    tf: LocalTerraform, var_file: Path | None, monkeypatch: pytest.MonkeyPatch
) -> list[dict]:
    """Apply ``tf``'s root and destroy it again; the resource instances as applied (``address``,
    ``mode``, ``type``, ``name``, ``values``). Fails with terraform's errors when either fails.

    One `terraform test` does both: one process loads the provider's schema once, where an apply and
    a destroy load it twice each. Terraform before 1.17 refuses to apply there a root whose optional
    ephemeral variable is unset (hashicorp/terraform#38974, "was not set during the plan phase"); such
    a root is applied and destroyed by the two commands."""
    given = set(tf.variables) | (set(hcl2.loads(var_file.read_text())) if var_file else set())
    if unset_ephemeral_variables(tf.tf_dir, given):
        if var_file is not None:
            # terraform reads these from the environment LocalTerraform passes on.
            for command in ("apply", "destroy"):
                monkeypatch.setenv(f"TF_CLI_ARGS_{command}", f"-var-file={var_file}")
        try:
            tf.apply()
            return state_resources(tf.state_path)
        finally:
            tf.destroy()
    tests = tf.tf_dir / APPLY_TESTS
    tests.mkdir()
    (tests / "apply.tftest.hcl").write_text(APPLY_RUN)
    command = [tf.binary, f"-chdir={tf.tf_dir}", "test", f"-test-directory={APPLY_TESTS}"]
    command += ["-json", "-verbose", *tf._var_args(), *([f"-var-file={var_file}"] if var_file else [])]
    done = subprocess.run(command, env=tf.env(), capture_output=True, text=True, check=False)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    errors = [
        f"{m['diagnostic']['summary']}: {m['diagnostic'].get('detail', '')}"
        for m in messages
        if m.get("type") == "diagnostic" and m["diagnostic"]["severity"] == "error"
    ]
    summary = [m["test_summary"] for m in messages if m.get("type") == "test_summary"]
    assert errors == [], tf.tf_dir
    assert done.returncode == 0, done.stderr[-4000:]
    assert [s["status"] for s in summary] == ["pass"], summary
    (state,) = [m["test_state"] for m in messages if m.get("type") == "test_state"]
    return shown_resources({"values": state})


@pytest.mark.parametrize("root", EXAMPLES, ids=lambda root: str(root.relative_to(REPO_ROOT / "modules")))
def test_example_applies_and_destroys(
    root: Path, zips: Path, fresh_moto: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of modules/ (the examples call their modules by relative path): `terraform test` reads its
    # test file from a folder inside the root.
    copy = tmp_path / "modules"
    shutil.copytree(REPO_ROOT / "modules", copy, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    copied = copy / root.relative_to(REPO_ROOT / "modules")
    tf = LocalTerraform(
        fresh_moto.endpoint, tmp_path / "work", tf_dir=copied, variables=zip_variables(root, zips)
    )
    tf.init()
    applied = apply_and_destroy(tf, apply_var_file(root), monkeypatch)
    managed = [r for r in applied if r["mode"] == "managed"]
    assert managed, f"{root}: nothing applied"
    keys = {r["values"]["arn"] for r in managed if r["type"] == "aws_kms_key"}
    policies = [
        (r["values"]["name"], r["values"]["policy"])
        for r in managed
        if r["type"] == "aws_iam_role_policy" and r["name"] == "kms"
    ]
    check_applied_kms_policies(policies, keys)
    assert moto_resources(fresh_moto) == {}, f"{root}: left behind after destroy"
    # A KMS key outlives its destroy, pending deletion: the destroy scheduled exactly the state's keys.
    assert keys_pending_deletion(fresh_moto) == keys


def keys_pending_deletion(moto: MotoServer) -> set[str]:
    """The keys the server holds scheduled for deletion (not the AWS managed keys it makes itself, such
    as alias/aws/dynamodb's for a table the service's own key encrypts)."""
    from scripts.local.aws import Clients

    kms = Clients(moto.endpoint)("kms")
    described = (kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"])
    return {key["Arn"] for key in described if key["KeyState"] == "PendingDeletion"}


OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def check_applied_kms_policies(policies: list[tuple[str, str]], keys: set[str]) -> None:
    """The `<function>-kms` policies as applied (their key ARNs exist only after apply), (name, document):
    every resource is a key of the deployment, kms:Decrypt is allowed on it and denied on any other key."""
    for name, text in policies:
        assert name.endswith("-kms"), name
        document = json.loads(text)
        policy = IAMPolicy(text)
        statements = document["Statement"]
        listed = (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]] for s in statements)
        resources = {r for group in listed for r in group}
        assert resources, name
        assert resources <= keys, f"{name}: {resources - keys} are not keys of the deployment"
        for key in resources:
            assert policy.is_action_permitted("kms:Decrypt", key) == PermissionResult.PERMITTED, (name, key)
        assert policy.is_action_permitted("kms:Decrypt", OTHER_KEY) != PermissionResult.PERMITTED, name
        assert (
            policy.is_action_permitted("kms:CreateGrant", next(iter(resources))) != PermissionResult.PERMITTED
        )


# ------------------------------------------------------------------------------------------- upgrade


@pytest.fixture(scope="session")
def release_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """modules/ and envs/ of RELEASE, exported from git (symlinks kept, as in a checkout)."""
    out = tmp_path_factory.mktemp("release")
    archive = out / "release.tar"
    subprocess.run(
        ["git", "archive", "--format=tar", f"--output={archive}", RELEASE, "modules", "envs"],
        check=True,
        cwd=REPO_ROOT,
        capture_output=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="tar")
    return out


def planned_actions(tf: LocalTerraform, work: Path) -> dict[str, tuple[str, list[str]]]:
    """address -> (type, actions) of a plan of ``tf`` over the state in ``work``."""
    plan = work / "upgrade.tfplan"
    tf.run("plan", "-input=false", "-no-color", f"-out={plan}", *tf._state_args, *tf._var_args())
    shown = json.loads(tf.run("show", "-json", "-no-color", str(plan), capture=True))
    return {c["address"]: (c["type"], c["change"]["actions"]) for c in shown["resource_changes"]}


def upgrade(
    old_root: Path,
    new_root: Path,
    moto: MotoServer,
    work: Path,
    variables: dict[str, str],
    old_variables: dict[str, str] | None = None,
):
    """Apply ``old_root``, plan it again (what moto's emulation drifts on its own, the baseline), then
    plan ``new_root`` over the same state. Returns the new root, the state's addresses and both plans.
    ``old_variables``: the old root's, when it declares other variables than the new one."""
    old = LocalTerraform(moto.endpoint, work, tf_dir=old_root, variables=old_variables or variables)
    old.init()
    old.apply()
    before = {r["address"]: r["type"] for r in state_resources(old.state_path) if r["mode"] == "managed"}
    baseline = planned_actions(old, work)
    new = LocalTerraform(moto.endpoint, work, tf_dir=new_root, variables=variables)
    new.init()
    return new, before, baseline, planned_actions(new, work)


def changes(actions: dict[str, tuple[str, list[str]]]) -> dict[str, list[str]]:
    """The planned changes that are not no-ops (reads of data sources aside)."""
    return {a: acts for a, (_, acts) in actions.items() if acts not in (["no-op"], ["read"])}


def assert_release_resources_are_kept(
    before: dict[str, str], actions: dict[str, tuple[str, list[str]]], moved: dict[str, str]
) -> None:
    """Every resource of the release state is in the plan at its (possibly moved) address, kept."""
    deleted = {a: acts for a, (_, acts) in actions.items() if "delete" in acts}
    assert deleted == {}, f"the upgrade would delete or replace: {deleted}"
    kept = {a for a, t in before.items() if t in KEPT_TYPES}
    assert kept, "the release state holds none of the resources the upgrade must keep"
    for address in sorted(kept):
        new_address = moved.get(address, address)
        assert new_address in actions, f"{address} ({new_address}) is not in the plan"
        assert actions[new_address][1] in (["no-op"], ["update"]), (address, actions[new_address])


def assert_only_updates_and_additions(
    actions: dict[str, tuple[str, list[str]]],
    baseline: dict[str, tuple[str, list[str]]],
    moved: dict[str, str],
) -> None:
    """Beyond what the release itself plans again over its own state on moto, the upgrade only
    updates in place (an alarm's runbook link, a policy's statements) or adds resources."""
    replanned = {moved.get(a, a): acts for a, acts in changes(baseline).items()}
    beyond = {a: acts for a, acts in changes(actions).items() if replanned.get(a) != acts}
    assert {a: acts for a, acts in beyond.items() if acts not in (["update"], ["create"])} == {}


def moved_addresses(module: str) -> dict[str, str]:
    """Release address -> this release's, in one lambda-with-dlq instance (its moved.tf)."""
    pairs = {
        "aws_iam_role.this": "aws_iam_role.this[0]",
        "aws_iam_role_policy.this": "aws_iam_role_policy.this[0]",
        "aws_iam_role_policy.kms": "aws_iam_role_policy.kms[0]",
        "aws_lambda_event_source_mapping.stream[0]": 'aws_lambda_event_source_mapping.this["stream"]',
        "aws_sqs_queue.on_failure[0]": 'aws_sqs_queue.on_failure["stream"]',
        "aws_cloudwatch_log_group.this": "aws_cloudwatch_log_group.this[0]",
    }
    alarm = "aws_cloudwatch_metric_alarm.this"
    for kind in ("depth", "age"):
        pairs[f'{alarm}["on_failure_{kind}"]'] = f'{alarm}["stream_on_failure_{kind}"]'
    return {f"{module}.{old}": f"{module}.{new}" for old, new in pairs.items()}


def test_upgrade_keeps_the_complete_example(
    release_tree: Path, zips: Path, fresh_moto: MotoServer, tmp_path: Path
) -> None:
    relpath = "modules/lambda-with-dlq/examples/complete"
    old_root, new_root = release_tree / relpath, REPO_ROOT / relpath
    variables = zip_variables(new_root, zips)
    new, before, baseline, actions = upgrade(old_root, new_root, fresh_moto, tmp_path / "work", variables)
    try:
        assert "module.consumer.aws_lambda_event_source_mapping.stream[0]" in before
        # The state file read directly (the other tests' way) holds what `terraform show -json` shows.
        shown = json.loads(new.run("show", "-json", "-no-color", str(new.state_path), capture=True))
        assert before == {r["address"]: r["type"] for r in shown_resources(shown) if r["mode"] == "managed"}
        moved = {
            a: n for m in ("webhook", "consumer", "worker") for a, n in moved_addresses(f"module.{m}").items()
        }
        assert_release_resources_are_kept(before, actions, moved)
        assert_only_updates_and_additions(actions, baseline, moved)
    finally:
        new.destroy()


def test_upgrade_keeps_the_pipeline(
    release_tree: Path, zips: Path, fresh_moto: MotoServer, tmp_path: Path
) -> None:
    old_root, new_root = release_tree / "envs" / "local", REPO_ROOT / "envs" / "local"
    # the roots take the zips differently (webhook_zip/enricher_zip then, build_dir now)
    variables = terraform_variables(new_root, fresh_moto.endpoint, zips, [])
    old_variables = terraform_variables(old_root, fresh_moto.endpoint, zips, [])
    new, before, baseline, actions = upgrade(
        old_root, new_root, fresh_moto, tmp_path / "work", variables, old_variables
    )
    try:
        enricher = "module.pipeline.module.enricher"
        assert f"{enricher}.aws_lambda_event_source_mapping.stream[0]" in before
        moved = {
            a: n
            for m in ("webhook", "enricher")
            for a, n in moved_addresses(f"module.pipeline.module.{m}").items()
        }
        assert_release_resources_are_kept(before, actions, moved)
        assert_only_updates_and_additions(actions, baseline, moved)
    finally:
        new.destroy()
