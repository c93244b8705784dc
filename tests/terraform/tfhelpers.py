"""Helpers for the Terraform plan tests: scratch workspaces, roots, plans and the shared assertions.

Every test session (every xdist worker) plans in its own scratch copy of ``modules/`` and ``envs/``, so
no test writes into the working tree and two workers never initialise the same folder.
"""

from __future__ import annotations

import collections
import functools
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tftest
import yaml
from moto.iam.access_control import IAMPolicy, PermissionResult

from scripts.envs import backend_type
from scripts.plan import OFFLINE_OVERRIDE, OVERRIDE_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REQUIRED_TAGS = {"Environment", "Application", "ManagedBy"}
FUNCTION_NAMES = ("webhook_processor", "price_enricher")
_IGNORE = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl", "*.tfplan")


class Unknown:
    """A value Terraform knows only after apply."""

    def __repr__(self) -> str:
        return "<known after apply>"


UNKNOWN = Unknown()


def make_workspace(dest: Path) -> Path:
    """Copy modules/ and envs/ into ``dest``; return ``dest``."""
    for part in ("modules", "envs"):
        shutil.copytree(REPO_ROOT / part, dest / part, ignore=_IGNORE)
    return dest


def make_lambda_zips(out_dir: Path) -> dict[str, Path]:
    """The function zips from scripts/package.py, or small placeholder zips while it is not there."""
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        from scripts.package import build_all  # optional until scripts/package.py lands
    except ImportError:
        build_all = None
    if build_all is not None:
        return {name: Path(path) for name, path in build_all(out_dir).items()}
    zips = {}
    for name in FUNCTION_NAMES:
        path = out_dir / f"{name}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"{name}/__init__.py", "")
            archive.writestr(f"{name}/handler.py", "def handler(event, context):\n    return None\n")
        zips[name] = path
    return zips


def _merge_unknown(after: Any, unknown: Any) -> Any:
    if unknown is True:
        return UNKNOWN
    if isinstance(after, dict) or isinstance(unknown, dict):
        after = after if isinstance(after, dict) else {}
        unknown = unknown if isinstance(unknown, dict) else {}
        return {k: _merge_unknown(after.get(k), unknown.get(k)) for k in after.keys() | unknown.keys()}
    if isinstance(after, list) or isinstance(unknown, list):
        after = after if isinstance(after, list) else []
        unknown = unknown if isinstance(unknown, list) else []
        size = max(len(after), len(unknown))
        return [
            _merge_unknown(after[i] if i < len(after) else None, unknown[i] if i < len(unknown) else None)
            for i in range(size)
        ]
    return after


class Plan:
    """A parsed `terraform show -json` plan: planned values with unknowns marked as UNKNOWN.

    A plan of ``Root.plan_cases`` holds the same ``resource_changes`` and ``output_changes`` (and
    ``planned_values.outputs`` derived from them) but no ``configuration`` or ``variables``: ``whole``
    is False, and a test that reads those asks ``Root.plan`` for a whole plan.
    """

    def __init__(self, raw: dict[str, Any], whole: bool = True):
        self.raw = raw
        self.whole = whole
        self.resources: dict[str, dict[str, Any]] = {}
        self.types: dict[str, str] = {}
        for change in raw.get("resource_changes", []):
            if change["mode"] != "managed":
                continue
            assert change["change"]["actions"] == ["create"], change["address"]
            after = _merge_unknown(change["change"]["after"], change["change"].get("after_unknown", {}))
            self.resources[change["address"]] = after
            self.types[change["address"]] = change["type"]
        self.outputs = raw.get("planned_values", {}).get("outputs", {})

    def output(self, name: str) -> Any:
        """A root output's planned value, parts known only after apply marked as UNKNOWN."""
        change = self.raw["output_changes"][name]
        return _merge_unknown(change.get("after"), change.get("after_unknown", {}))

    def counts(self) -> dict[str, int]:
        return dict(sorted(collections.Counter(self.types.values()).items()))

    def of_type(self, rtype: str) -> list[tuple[str, dict[str, Any]]]:
        return [(a, v) for a, v in self.resources.items() if self.types[a] == rtype]

    def in_module(self, address: str, rtype: str) -> list[dict[str, Any]]:
        """Resources of ``rtype`` in the same module instance as ``address``."""
        prefix = module_of(address)
        return [v for a, v in self.of_type(rtype) if module_of(a) == prefix]


def module_of(address: str) -> str:
    parts = address.split(".")
    # module.a.module.b.aws_x.name[0] -> module.a.module.b
    out = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        out += parts[i : i + 2]
        i += 2
    return ".".join(out)


def _hcl_vars(tf_vars: dict[str, Any] | None) -> dict[str, Any] | None:
    """tftest passes -var k=str(v): booleans must be spelled the HCL way."""
    if not tf_vars:
        return None
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in tf_vars.items()}


class Root:
    """One Terraform root (a module example or an env) in the scratch workspace."""

    def __init__(self, workspace: Path, relpath: str, env: dict[str, str], is_env: bool = False):
        self.relpath = relpath
        self.tfdir = workspace / relpath
        if is_env and backend_type(self.tfdir) != "local":
            # What scripts/plan.py adds for an offline plan: a local backend (`terraform plan` refuses
            # to run while an S3 backend is not initialised) and a provider that calls no AWS API.
            (self.tfdir / OVERRIDE_NAME).write_text(OFFLINE_OVERRIDE)
        self.tf = tftest.TerraformTest(
            str(self.tfdir), binary=shutil.which("terraform") or "terraform", env=env
        )
        # Examples have no backend: -backend=false. Envs init their local backend (no network).
        self.init_output = self.tf.init(backend=is_env)
        self._plans: dict[tuple, Plan] = {}
        self._case_results: dict[tuple, CaseResult] = {}
        #: Warnings that `terraform test` printed outside any case's run (the configuration's own, as
        #: loaded), of every ``plan_cases`` so far.
        self.configuration_warnings: list[str] = []

    def validate(self) -> dict[str, Any]:
        out = self.tf.execute_command("validate", "-json", "-no-color").out
        return json.loads(out)

    def plan(
        self, tf_vars: dict[str, Any] | None = None, var_files: tuple[str, ...] = (), whole: bool = False
    ) -> Plan:
        """The plan of these variables: ``plan_cases``'s when it planned them and ``whole`` is not
        asked, else `terraform plan` + `terraform show -json` (cached)."""
        key = _case_key(tf_vars, var_files)
        if not whole and key in self._case_results:
            return self._case_results[key].plan(var_files)
        if key not in self._plans:
            raw = self.tf.plan(
                output=True,
                tf_vars=_hcl_vars(tf_vars),
                tf_var_file=[str(FIXTURES / f) for f in var_files] or None,
            )
            self._plans[key] = Plan(dict(raw))
        return self._plans[key]

    def plan_error(self, tf_vars: dict[str, Any] | None = None, var_files: tuple[str, ...] = ()) -> str:
        """Plan that must fail; return its error text."""
        key = _case_key(tf_vars, var_files)
        if key in self._case_results:
            return self._case_results[key].error(var_files)
        try:
            self.tf.plan(
                output=False,
                tf_vars=_hcl_vars(tf_vars),
                tf_var_file=[str(FIXTURES / f) for f in var_files] or None,
            )
        except tftest.TerraformTestError as exc:
            return " ".join(str(a) for a in exc.args)
        raise AssertionError(f"plan of {self.relpath} with {var_files or tf_vars} succeeded")

    def plan_cases(self, tf_vars: dict[str, Any], cases: list[str]) -> None:
        """Plan every tfvars case (paths relative to FIXTURES) with ``tf_vars`` in one `terraform test`.

        One command loads the provider's schema once for all the cases, where a `terraform plan` and a
        `terraform show` per case load it twice each. Each case is a test file of its own with one
        ``command = plan`` run whose ``variables`` are the case's tfvars: the root is planned as a root,
        with the case's values, and a case that fails does not skip the others. ``-verbose`` prints
        each run's planned changes (the same ``resource_changes`` and ``output_changes`` as `terraform
        show -json`); a failed run's diagnostics are its error. ``plan`` and ``plan_error`` answer from
        the results afterwards.

        Before each run's plan, `terraform test` validates the root (the walk `terraform validate`
        runs) and reports that walk's diagnostics under the run: ``CaseResult.warnings`` holds them,
        and ``configuration_warnings`` the ones of loading the configuration.
        """
        todo = [case for case in cases if _case_key(tf_vars, (case,)) not in self._case_results]
        if not todo:
            return
        folder = self.tfdir / CASES_DIR
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        files = {}
        for index, case in enumerate(todo):
            name = f"{CASES_DIR}/{index:03d}.tftest.hcl"
            body = (FIXTURES / case).read_text()
            (self.tfdir / name).write_text(
                f'# {case}\nrun "plan" {{\n  command = plan\n  variables {{\n{body}\n  }}\n}}\n'
            )
            files[name] = case
        args = [f"-test-directory={CASES_DIR}", "-json", "-verbose", "-no-color"]
        for name, value in (_hcl_vars(tf_vars) or {}).items():
            args.append(f"-var={name}={value}")
        done = subprocess.run(
            [self.tf.binary, "test", *args], cwd=self.tfdir, env=self.tf.env, capture_output=True, text=True
        )
        results = {name: CaseResult(self.relpath) for name in files}
        for line in done.stdout.splitlines():
            message = json.loads(line)
            testfile = message.get("@testfile")
            if testfile is None:
                warning = _diagnostic(message, "warning")
                if warning:
                    self.configuration_warnings.append(warning)
            elif testfile in results:
                results[testfile].read(message)
        for name, case in files.items():
            if not results[name].status:
                raise AssertionError(
                    f"terraform test ran no plan of {case}: {done.stderr or done.stdout[-2000:]}"
                )
            self._case_results[_case_key(tf_vars, (case,))] = results[name]

    def case_results(self) -> dict[str, CaseResult]:
        """Every case ``plan_cases`` planned (by its tfvars path), with its result."""
        return {key[1][0]: result for key, result in self._case_results.items()}


CASES_DIR = "pytest-cases"


def _case_key(tf_vars: dict[str, Any] | None, var_files: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    return json.dumps(tf_vars or {}, sort_keys=True, default=str), var_files


def _planned_outputs(output_changes: dict[str, Any]) -> dict[str, Any]:
    """``planned_values.outputs`` as `terraform show -json` writes it: the value only when wholly known."""

    def unknown(marks: Any) -> bool:
        if isinstance(marks, dict):
            return any(unknown(v) for v in marks.values())
        if isinstance(marks, list):
            return any(unknown(v) for v in marks)
        return marks is True

    outputs = {}
    for name, change in output_changes.items():
        output: dict[str, Any] = {"sensitive": change.get("after_sensitive") is True}
        if not unknown(change.get("after_unknown")):
            output["value"] = change.get("after")
        outputs[name] = output
    return outputs


def _diagnostic(message: dict[str, Any], severity: str) -> str:
    """A JSON UI diagnostic of this severity as one line (where it is, what it says), else ''."""
    diagnostic = message.get("diagnostic") if message.get("type") == "diagnostic" else None
    if not diagnostic or diagnostic.get("severity") != severity:
        return ""
    where = (diagnostic.get("range") or {}).get("filename", "")
    text = f"{diagnostic['summary']}: {diagnostic.get('detail', '')}"
    return f"{where}: {text}" if where and severity == "warning" else text


class CaseResult:
    """One case of ``Root.plan_cases``: its run's status, planned changes, errors and warnings."""

    def __init__(self, relpath: str):
        self.relpath = relpath
        self.status = ""
        self.raw: dict[str, Any] | None = None
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def read(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "test_run" and message["test_run"].get("progress") == "complete":
            self.status = message["test_run"]["status"]
        elif kind == "test_plan":
            changes = message["test_plan"]
            self.raw = {
                "resource_changes": changes.get("resource_changes", []),
                "output_changes": changes.get("output_changes", {}),
                "planned_values": {"outputs": _planned_outputs(changes.get("output_changes", {}))},
            }
        elif kind == "diagnostic":
            for severity, found in (("error", self.errors), ("warning", self.warnings)):
                line = _diagnostic(message, severity)
                if line:
                    found.append(line)

    def plan(self, var_files: tuple[str, ...]) -> Plan:
        if self.status != "pass" or self.raw is None:
            raise AssertionError(
                f"plan of {self.relpath} with {var_files} failed ({self.status}): {self.errors}"
            )
        return Plan(self.raw, whole=False)

    def error(self, var_files: tuple[str, ...]) -> str:
        if not self.errors:
            raise AssertionError(f"plan of {self.relpath} with {var_files} succeeded ({self.status})")
        return " ".join(self.errors)


def fixture_cases(folder: str) -> list[str]:
    """tfvars files of one root, as paths relative to FIXTURES (cloud-foundation-fabric style)."""
    return sorted(f"{folder}/{p.name}" for p in (FIXTURES / folder).glob("*.tfvars"))


def discover_examples() -> list[str]:
    """Every module example root, ``modules/<module>/examples/<example>`` (a folder with main.tf)."""
    return sorted(
        str(p.parent.relative_to(REPO_ROOT)) for p in REPO_ROOT.glob("modules/*/examples/*/main.tf")
    )


def fixture_folder(relpath: str) -> str:
    """Fixtures of an example root: ``fixtures/<module>/<example>/`` (its invalid cases in ``invalid/``)."""
    _, module, _, example = relpath.split("/")
    return f"{module}/{example}"


def inventory(case: str) -> dict[str, Any]:
    """The expectations beside a tfvars case (``<case>.yaml``), or {} when it has none.

    ``values``: address -> attributes the plan must hold (a subset: nested maps compared key by key);
    ``counts``: resource type -> number planned, for every type of the plan; ``checks``: arguments of
    check_all (``cmk: false`` for a root without a customer managed key); ``errors``: for an invalid case,
    the messages terraform must print.
    """
    path = (FIXTURES / case).with_suffix(".yaml")
    return yaml.safe_load(path.read_text()) or {} if path.exists() else {}


def _matches(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a map, planned {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}.{key}: not planned"
            _matches(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        assert isinstance(actual, list), f"{where}: expected a list, planned {actual!r}"
        assert len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _matches(e, a, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: planned {actual!r}, expected {expected!r}"


def check_inventory(plan: Plan, expected: dict[str, Any]) -> None:
    """The plan holds the inventory's values and exactly its counts (see ``inventory``)."""
    for address, values in (expected.get("values") or {}).items():
        assert address in plan.resources, f"{address}: not planned (planned: {sorted(plan.resources)})"
        _matches(values, plan.resources[address], address)
    if "counts" in expected:
        assert plan.counts() == dict(sorted(expected["counts"].items()))


def permits(policy_json: str, action: str, resource: str) -> bool:
    """Whether the policy allows ``action`` on ``resource``, as moto's IAM evaluator reads it."""
    return IAMPolicy(policy_json).is_action_permitted(action, resource) == PermissionResult.PERMITTED


# ----------------------------------------------------------------------------------- assertions


def is_set(value: Any) -> bool:
    """Known non-empty value, or known after apply."""
    return value is UNKNOWN or (value is not None and value != "" and value != [])


def iter_statements(policy_json: str) -> Iterator[dict[str, Any]]:
    doc = json.loads(policy_json)
    statements = doc["Statement"]
    yield from statements if isinstance(statements, list) else [statements]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Actions AWS does not scope to resources: "*" is the only resource it accepts for them.
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "dynamodb:ListStreams",  # Service Authorization Reference: no resource type, "*" only
}


def resource_is_concrete(resource: str, statement: dict[str, Any]) -> bool:
    if not resource.startswith("arn:aws:"):
        return False
    if "*" not in resource and "?" not in resource:
        return True
    if resource.endswith(":*") and ":log-group:" in resource and resource.count("*") == 1:
        return True  # the streams of one log group (the function's own, or one the caller brought)
    if resource.endswith("/stream/*") and ":table/" in resource and resource.count("*") == 1:
        return True  # the stream(s) of one table: its label is known after apply only
    if resource.endswith(":network-interface/*") and resource.count("*") == 1:
        return True  # a function's VPC network interfaces: their ids are not known in advance
    if re.search(r":kinesis:[^*]+:stream/[^/*]+/consumer/[^/*:]+:\*$", resource):
        return True  # one enhanced fan-out consumer: its ARN ends in its creation time
    # One secret: Secrets Manager appends 6 random characters to its ARN.
    return ":secret:" in resource and resource.endswith("-??????") and "*" not in resource


KMS_POLICY = re.compile(r"\.aws_iam_role_policy\.kms(\[0\])?$")


def check_iam_policies(plan: Plan) -> int:
    """No wildcard action; every resource concrete. Returns the number of statements checked."""
    checked = 0
    for address, values in plan.of_type("aws_iam_role_policy"):
        policy = values["policy"]
        if KMS_POLICY.search(address):
            # Key use is granted on the key's ARN, known after apply; check_kms_grants checks its shape.
            assert policy is UNKNOWN, f"{address}: expected the key ARN to be known only after apply"
            continue
        assert isinstance(policy, str), f"{address}: policy must be known at plan time"
        assert "kms:" not in policy, f"{address}: KMS use belongs in the key-ARN policy"
        for statement in iter_statements(policy):
            checked += 1
            actions = as_list(statement.get("Action", []))
            assert "NotAction" not in statement, address
            assert "NotResource" not in statement, address
            assert statement["Effect"] == "Allow", address
            for action in actions:
                assert "*" not in action, f"{address}: wildcard action {action}"
            resources = as_list(statement["Resource"])
            if set(actions) <= UNSCOPABLE_ACTIONS:
                assert resources == ["*"], address
                continue
            for resource in resources:
                assert resource_is_concrete(resource, statement), f"{address}: resource {resource}"
    for address, values in plan.of_type("aws_iam_role"):
        for statement in iter_statements(values["assume_role_policy"]):
            assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}, address
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"], address
    return checked


def check_stream_mappings(plan: Plan) -> int:
    """Stream mappings (dynamodb, kinesis: a starting position) bound their retries and send what they
    give up on to an on-failure queue of their module; DynamoDB filters on eventName are INSERT only;
    every mapping reports partial batch failures."""
    mappings = plan.of_type("aws_lambda_event_source_mapping")
    for address, esm in mappings:
        assert esm["function_response_types"] == ["ReportBatchItemFailures"], address
        patterns = [json.loads(f["pattern"]) for c in esm["filter_criteria"] for f in c["filter"]]
        # INSERT only, whatever else a caller narrows: MODIFY would re-trigger on the function's own writes.
        assert all(p["eventName"] == ["INSERT"] for p in patterns if "eventName" in p), (
            f"{address}: {patterns}"
        )
        if not esm.get("starting_position"):  # sqs: failures follow the source queue's redrive policy
            assert not esm.get("destination_config"), f"{address}: sqs mappings take no destination"
            continue
        on_failure = esm["destination_config"][0]["on_failure"][0]
        assert is_set(on_failure["destination_arn"]), address
        assert esm["bisect_batch_on_function_error"] is True, address
        assert esm["maximum_retry_attempts"] >= 0, f"{address}: retries must be bounded"
        assert esm["maximum_record_age_in_seconds"] >= 60, f"{address}: record age must be bounded"
        queues = plan.in_module(address, "aws_sqs_queue")
        assert queues, f"{address}: no on-failure queue in the module"
    return len(mappings)


def check_queues_encrypted(plan: Plan, cmk: bool = True) -> None:
    """Queues are encrypted: with a customer managed key, or (cmk=False, a root without one) SSE-SQS."""
    for address, queue in plan.of_type("aws_sqs_queue"):
        if is_set(queue["kms_master_key_id"]):
            assert queue.get("sqs_managed_sse_enabled") in (False, None, UNKNOWN), address
            continue
        assert not cmk, f"{address}: not encrypted with a CMK"
        assert queue["sqs_managed_sse_enabled"] is True, f"{address}: not encrypted"


def check_functions(plan: Plan, cmk: bool = True) -> None:
    for address, fn in plan.of_type("aws_lambda_function"):
        synchronous_or_polled = plan.in_module(address, "aws_lambda_function_url") or plan.in_module(
            address, "aws_lambda_event_source_mapping"
        )
        if synchronous_or_polled:
            assert not fn.get("dead_letter_config"), f"{address}: a DLQ never receives URL/stream failures"
        # -1: unreserved (the variable is null); else a reservation of at least one.
        assert fn["reserved_concurrent_executions"] == -1 or fn["reserved_concurrent_executions"] >= 1, (
            address
        )
        assert fn["architectures"] == ["arm64"], address
        assert is_set(fn["kms_key_arn"]) is cmk, f"{address}: environment CMK expected: {cmk}"
        if fn["package_type"] == "Image":
            # The image carries the runtime; pinned by digest, so a moved tag cannot change the code.
            assert (fn["runtime"], fn["handler"]) == (None, None), address
            assert "@sha256:" in fn["image_uri"], f"{address}: image not pinned by digest"
        else:
            assert fn["runtime"] == "python3.13", address
            # A local zip's hash, or the one the provider reads from the S3 object.
            assert is_set(fn["source_code_hash"]), address
        if not plan.in_module(address, "aws_cloudwatch_log_group"):
            # No log group of the module: the function logs to one the caller named.
            configs = fn["logging_config"] if isinstance(fn["logging_config"], list) else []
            assert [c for c in configs if is_set(c["log_group"])], f"{address}: no log group"


def check_url_permissions(plan: Plan) -> None:
    for address, url in plan.of_type("aws_lambda_function_url"):
        for cors in url.get("cors") or []:
            # CORS only for named origins: a wildcard lets any web page call the URL from a browser.
            assert "*" not in cors["allow_origins"], f"{address}: CORS for any origin"
        perms = {
            p["action"]: p
            for a, p in plan.of_type("aws_lambda_permission")
            if module_of(a) == module_of(address) and ".url_public_invoke" in a
        }
        if url["authorization_type"] == "NONE":
            # The URL resource adds lambda:InvokeFunctionUrl itself; the module adds only InvokeFunction.
            assert set(perms) == {"lambda:InvokeFunction"}, address
            assert perms["lambda:InvokeFunction"]["principal"] == "*", address
        else:
            assert not perms, address


def check_trigger_permissions(plan: Plan) -> int:
    """A service may invoke a function only for a named resource or account (no confused deputy)."""
    services = 0
    for address, perm in plan.of_type("aws_lambda_permission"):
        if str(perm["principal"]).endswith(".amazonaws.com"):
            assert is_set(perm["source_arn"]) or is_set(perm["source_account"]), address
            services += 1
    return services


def check_tables(plan: Plan) -> None:
    for address, table in plan.of_type("aws_dynamodb_table"):
        assert table["point_in_time_recovery"][0]["enabled"] is True, address
        sse = table["server_side_encryption"][0]
        assert sse["enabled"] is True, address
        assert is_set(sse["kms_key_arn"]), address
        if not str(table["name"]).endswith("-ticks"):
            continue  # another table of the module's examples: the price table's contract is not its
        assert table["stream_enabled"] is True, address
        assert table["stream_view_type"] == "NEW_AND_OLD_IMAGES", address
        assert (table["hash_key"], table["range_key"]) == ("pk", "sk"), address
        attributes = {a["name"]: a["type"] for a in table["attribute"]}
        assert attributes == {"pk": "S", "sk": "S"}, address
        # No local secondary index: one would cap every series at 10 GB (item collection limit).
        assert table["local_secondary_index"] == [], address
        assert table["global_secondary_index"] == [], address


def check_kms(plan: Plan) -> None:
    for address, key in plan.of_type("aws_kms_key"):
        assert key["enable_key_rotation"] is True, address
        assert 7 <= key["deletion_window_in_days"] <= 30, address
        statements = {s["Sid"]: s for s in iter_statements(key["policy"])}
        root = statements["AccountRootAdministers"]
        assert root["Principal"]["AWS"].endswith(":root"), address
        logs = statements.get("CloudWatchLogsEncryptsLogGroups")
        if logs:
            assert logs["Principal"]["Service"].startswith("logs.")
            condition = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
            assert ":log-group:/aws/lambda/" in condition, address


def check_log_groups(plan: Plan, cmk: bool = True) -> None:
    for address, group in plan.of_type("aws_cloudwatch_log_group"):
        assert group["retention_in_days"] in (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731)
        assert is_set(group["kms_key_id"]) is cmk, f"{address}: CMK expected: {cmk}"


def check_topics(plan: Plan) -> None:
    for address, topic in plan.of_type("aws_sns_topic"):
        assert is_set(topic["kms_master_key_id"]), address
    for address, secret in plan.of_type("aws_secretsmanager_secret"):
        assert is_set(secret["kms_key_id"]), address


def check_tags(plan: Plan) -> int:
    tagged = 0
    for address, values in plan.resources.items():
        if "tags_all" not in values:
            continue
        tags = values["tags_all"]
        assert tags is not UNKNOWN, f"{address}: tags unknown at plan"
        missing = REQUIRED_TAGS - set(tags or {})
        assert not missing, f"{address}: missing tags {sorted(missing)}"
        tagged += 1
    return tagged


def check_all(plan: Plan, cmk: bool = True) -> None:
    """Every security assertion that applies to any plan of this repository. ``cmk=False``: a root
    that deliberately uses AWS managed keys (lambda-with-dlq without ``kms``)."""
    check_iam_policies(plan)
    check_stream_mappings(plan)
    check_queues_encrypted(plan, cmk)
    check_functions(plan, cmk)
    check_url_permissions(plan)
    check_trigger_permissions(plan)
    check_tables(plan)
    check_kms(plan)
    check_log_groups(plan, cmk)
    check_topics(plan)
    check_tags(plan)


@functools.cache
def terraform_binary() -> str | None:
    return shutil.which("terraform")


def environ_without_aws_credentials() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
