"""The hashicorp/aws schema the modules are checked against, for both majors their range admits.

Only 5.100.0 is installable offline, so provider 6 is proven from its schema as published for Python:
the ``cdktf-cdktf-provider-aws`` wheel (hash-locked in requirements/provider-schema.txt) is generated
from provider 6.25.0 and carries a jsii assembly naming every resource's and data source's arguments
and blocks with their registry anchors. The wheel is read as a zip, never installed or imported.

``pipeline-provider-schema``               check every resource/data source type, argument and nested
                                           block used by modules/, their examples, examples/ and envs/
                                           against the committed schema (exit 1, one line per problem)
``pipeline-provider-schema --regenerate``  download the locked wheel, extract the types the repository
                                           uses, read 5.100's schema from ``terraform providers schema``,
                                           and rewrite :data:`SCHEMA_FILE`
``pipeline-provider-schema --verify``      the same extraction, compared with the committed file

A usage passes when its type, argument or block exists in both 5.100.0 and 6.25.0 with the same kind
(argument or block) and is deprecated in neither: 5.100's schema flags deprecations itself; the wheel
carries no deprecation markers, so 6's are the upgrade guide's (:data:`V6_DEPRECATED`).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK = REPO_ROOT / "requirements" / "provider-schema.txt"
SCHEMA_FILE = REPO_ROOT / "scripts" / "data" / "aws-provider-schema.json"
WHEEL_CACHE = REPO_ROOT / "build" / "provider-schema"
V5, V6 = "5.100.0", "6.25.0"
#: Folders whose *.tf files are checked (.terraform and build output excluded).
SCANNED = ("modules", "examples", "envs")
#: Arguments and blocks Terraform itself handles in every resource and data source.
META = frozenset({"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"})
#: Argument-level deprecations of the provider 6 upgrade guide (the wheel flags none): (kind, type, name).
V6_DEPRECATED = frozenset(
    {
        ("data", "aws_region", "name"),
        ("data", "aws_servicequotas_templates", "region"),
        ("data", "aws_ssmincidents_replication_set", "region"),
        ("data", "aws_vpc_endpoint_service", "region"),
        ("data", "aws_vpc_peering_connection", "region"),
        ("resource", "aws_cloudformation_stack_set_instance", "region"),
        ("resource", "aws_config_aggregate_authorization", "region"),
        ("resource", "aws_dx_hosted_connection", "region"),
        ("resource", "aws_guardduty_detector", "datasources"),
        ("resource", "aws_guardduty_organization_configuration", "datasources"),
        ("resource", "aws_servicequotas_template", "region"),
        ("resource", "aws_ssmincidents_replication_set", "region"),
    }
)
#: Extracted although no module uses it: provider 6 removed its ``log_group_name`` (upgrade guide), so
#: the tests can show that a removed argument fails the check.
PROBE_TYPES = frozenset({("resource", "aws_flow_log")})
_LINK = re.compile(r"/docs/(resources|data-sources)/([a-z0-9_]+)(?:#([a-z0-9_]+))?")


class SchemaError(RuntimeError):
    """The wheel, the lock or terraform did not give what the extraction needs."""


# ---------------------------------------------------------------- the repository's usage


@dataclass(frozen=True, order=True)
class Usage:
    """One argument or block as written: ``path`` is the block path below the resource type."""

    file: str
    kind: str  # "resource" or "data"
    type: str
    path: tuple[str, ...]  # () for the type itself
    is_block: bool

    def where(self) -> str:
        name = ".".join(self.path) or "(type)"
        what = "block" if self.is_block else "argument"
        return f"{self.file}: {self.kind} {self.type} {what} {name}"


def _unquote(key: str) -> str:
    return key[1:-1] if key.startswith('"') and key.endswith('"') else key


def _body_usages(
    file: str, kind: str, rtype: str, path: tuple[str, ...], body: dict[str, Any]
) -> Iterator[Usage]:
    for key, value in body.items():
        if key.startswith("__") or (not path and key in META):
            continue
        if key == "dynamic":
            for dyn in value:
                for name, dyn_body in dyn.items():
                    name = _unquote(name)
                    yield Usage(file, kind, rtype, (*path, name), True)
                    for content in dyn_body.get("content", []):
                        yield from _body_usages(file, kind, rtype, (*path, name), content)
            continue
        is_block = (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
        )
        yield Usage(file, kind, rtype, (*path, key), is_block)
        if is_block:
            for block in value:
                yield from _body_usages(file, kind, rtype, (*path, key), block)


def file_usages(path: Path, name: str | None = None) -> list[Usage]:
    """Every resource/data source type, argument and nested block of one .tf file."""
    file = name or str(path)
    parsed = hcl2.loads(path.read_text())
    out: list[Usage] = []
    for kind in ("resource", "data"):
        for block in parsed.get(kind, []):
            for rtype, named in block.items():
                rtype = _unquote(rtype)
                if not rtype.startswith("aws_"):
                    continue
                out.append(Usage(file, kind, rtype, (), True))
                for body in named.values():
                    out.extend(_body_usages(file, kind, rtype, (), body))
    return out


def tf_files(root: Path = REPO_ROOT) -> list[Path]:
    return sorted(
        p
        for part in SCANNED
        for p in (root / part).rglob("*.tf")
        if ".terraform" not in p.parts and "build" not in p.parts
    )


def repo_usages(root: Path = REPO_ROOT) -> list[Usage]:
    return sorted({u for p in tf_files(root) for u in file_usages(p, str(p.relative_to(root)))})


# ---------------------------------------------------------------- the check


def _node(schema: dict[str, Any], version: str, usage: Usage) -> dict[str, Any] | None:
    """The schema node of the usage's type, or None when the type is absent."""
    section = "resources" if usage.kind == "resource" else "data_sources"
    return schema[version][section].get(usage.type)


def check(usages: Iterable[Usage], schema: dict[str, Any]) -> list[str]:
    """One line per usage absent from, of another kind in, or deprecated in 5.100.0 or 6.25.0."""
    problems = []
    for usage in usages:
        for version in (V5, V6):
            node = _node(schema, version, usage)
            if node is None:
                problems.append(f"{usage.where()}: type absent from hashicorp/aws {version}")
                continue
            for i, name in enumerate(usage.path):
                last = i == len(usage.path) - 1
                if name in node["blocks"]:
                    if last and not usage.is_block:
                        problems.append(f"{usage.where()}: a block in {version}, written as an argument")
                        break
                    node = node["blocks"][name]
                elif name in node["arguments"]:
                    if not last or usage.is_block:
                        problems.append(f"{usage.where()}: an argument in {version}, written as a block")
                    node = {"deprecated": node["arguments"][name]["deprecated"]}
                    break
                else:
                    problems.append(f"{usage.where()}: absent from hashicorp/aws {version}")
                    node = None
                    break
            if node is not None and node.get("deprecated"):
                problems.append(f"{usage.where()}: deprecated in hashicorp/aws {version}")
            if (
                version == V6
                and len(usage.path) == 1
                and (usage.kind, usage.type, usage.path[0]) in V6_DEPRECATED
            ):
                problems.append(f"{usage.where()}: deprecated by the provider 6 upgrade guide")
    return sorted(set(problems))


def load_schema(path: Path = SCHEMA_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


# ---------------------------------------------------------------- extraction: 6.25.0 from the wheel


def locked_wheel(lock: Path = LOCK) -> tuple[str, str, str]:
    """(package, version, sha256) of the one wheel pinned in the lock."""
    match = re.search(
        r"^([A-Za-z0-9_.-]+)==(\S+)\s*\\\s*\n\s*--hash=sha256:([0-9a-f]{64})", lock.read_text(), re.M
    )
    if match is None:
        raise SchemaError(f"{lock}: no pinned package with a sha256 hash")
    return match.group(1), match.group(2), match.group(3)


def download_wheel(cache: Path = WHEEL_CACHE, lock: Path = LOCK) -> Path:
    """The locked wheel, downloaded by pip (hash-checked) into ``cache`` unless already there."""
    package, version, _ = locked_wheel(lock)
    stem = f"{package.replace('-', '_')}-{version}-"
    found = sorted(cache.glob(f"{stem}*.whl")) if cache.is_dir() else []
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--require-hashes", "-r", str(lock), "-d", str(cache)],
            check=True,
        )  # fmt: skip
        found = sorted(cache.glob(f"{stem}*.whl"))
    if not found:
        raise SchemaError(f"pip left no {stem}*.whl in {cache}")
    return found[0]


def read_assembly(wheel: Path) -> dict[str, Any]:
    """The jsii assembly (.jsii) inside the wheel's bundled npm tarball."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        if len(names) != 1:
            raise SchemaError(f"{wheel.name}: expected one .jsii.tgz, found {names}")
        tgz = archive.read(names[0])
    with tarfile.open(fileobj=io.BytesIO(tgz)) as tar:
        member = tar.extractfile("package/.jsii")
        if member is None:
            raise SchemaError(f"{names[0]}: no package/.jsii")
        return json.load(member)


def _summary(docs: dict[str, Any]) -> str:
    return f"{docs.get('summary', '')} {docs.get('remarks', '')}"


def _struct_fqn(type_ref: dict[str, Any]) -> str | None:
    """The struct a property's type names (directly, as a list element, or in a union), or None."""
    if "fqn" in type_ref:
        return type_ref["fqn"]
    if "collection" in type_ref:
        return _struct_fqn(type_ref["collection"]["elementtype"])
    for option in type_ref.get("union", {}).get("types", []):
        fqn = _struct_fqn(option)
        if fqn and not fqn.startswith("cdktf."):
            return fqn
    return None


def _struct(types: dict[str, Any], fqn: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Arguments and blocks of a config struct; a property is a block when its docs say so."""
    out: dict[str, Any] = {"arguments": {}, "blocks": {}}
    for prop in types[fqn].get("properties", []):
        text = _summary(prop.get("docs", {}))
        anchor = _LINK.search(text)
        if anchor is None or anchor.group(3) is None:
            continue  # cdktf's own meta-arguments (count, provider, ...) carry no registry anchor
        name = anchor.group(3)
        deprecated = "deprecated" in prop.get("docs", {})
        child = _struct_fqn(prop["type"])
        if (
            re.search(rf"\b{re.escape(name)} block\b", text)
            and child
            and child in types
            and child not in seen
        ):
            block = _struct(types, child, (*seen, child))
            block["deprecated"] = deprecated
            out["blocks"][name] = block
        else:
            out["arguments"][name] = {"deprecated": deprecated}
    return out


def extract_v6(assembly: dict[str, Any], wanted: set[tuple[str, str]]) -> dict[str, Any]:
    """Resources and data sources of ``wanted`` ((kind, type) pairs) from the jsii assembly."""
    types = assembly["types"]
    out: dict[str, Any] = {"resources": {}, "data_sources": {}}
    for fqn, jtype in types.items():
        if jtype.get("kind") != "class":
            continue
        link = _LINK.search(jtype.get("docs", {}).get("summary", ""))
        if link is None or link.group(3) is not None:
            continue
        kind = "resource" if link.group(1) == "resources" else "data"
        rtype = f"aws_{link.group(2)}"
        if (kind, rtype) not in wanted:
            continue
        config = f"{fqn}Config"
        if config not in types:
            raise SchemaError(f"{fqn}: no {config} in the assembly")
        node = _struct(types, config)
        node["deprecated"] = "deprecated" in jtype.get("docs", {})
        out["resources" if kind == "resource" else "data_sources"][rtype] = node
    return out


# ---------------------------------------------------------------- extraction: 5.100.0 from terraform


def _tf_block(block: dict[str, Any]) -> dict[str, Any]:
    return {
        "arguments": {
            name: {"deprecated": bool(attr.get("deprecated"))}
            for name, attr in block.get("attributes", {}).items()
            if not attr.get("computed") or attr.get("optional") or attr.get("required")
        },
        "blocks": {
            name: {**_tf_block(nested["block"]), "deprecated": bool(nested["block"].get("deprecated"))}
            for name, nested in block.get("block_types", {}).items()
        },
        "deprecated": bool(block.get("deprecated")),
    }


def extract_v5(wanted: set[tuple[str, str]]) -> dict[str, Any]:
    """The wanted types from ``terraform providers schema -json`` of a scratch root on 5.100.0."""
    from scripts.tfcli import terraform_env
    from scripts.tfversion import terraform_binary

    env = {**os.environ, **terraform_env()}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.tf").write_text(
            'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "= '
            + V5
            + '" }\n  }\n}\n'
        )
        binary = terraform_binary()
        subprocess.run([binary, "init", "-backend=false", "-input=false", "-no-color"], cwd=tmp, env=env,
                       check=True, capture_output=True)  # fmt: skip
        done = subprocess.run([binary, "providers", "schema", "-json"], cwd=tmp, env=env, check=True,
                              capture_output=True, text=True)  # fmt: skip
    (provider,) = json.loads(done.stdout)["provider_schemas"].values()
    return {
        "resources": {
            t: _tf_block(provider["resource_schemas"][t]["block"])
            for k, t in sorted(wanted)
            if k == "resource" and t in provider["resource_schemas"]
        },
        "data_sources": {
            t: _tf_block(provider["data_source_schemas"][t]["block"])
            for k, t in sorted(wanted)
            if k == "data" and t in provider["data_source_schemas"]
        },
    }


def generate(wheel: Path, root: Path = REPO_ROOT) -> dict[str, Any]:
    """The committed file's content: both versions, for the types the repository uses."""
    wanted = {(u.kind, u.type) for u in repo_usages(root)} | PROBE_TYPES
    package, version, sha256 = locked_wheel()
    return {
        "_generated_by": "pipeline-provider-schema --regenerate (scripts/provider_schema.py)",
        "_source": {V6: f"{package}=={version} sha256:{sha256}", V5: "terraform providers schema -json"},
        V5: extract_v5(wanted),
        V6: extract_v6(read_assembly(wheel), wanted),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline-provider-schema", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--regenerate", action="store_true", help=f"rewrite {SCHEMA_FILE.relative_to(REPO_ROOT)}"
    )
    group.add_argument(
        "--verify", action="store_true", help="exit 1 unless the committed file matches the wheel"
    )
    parser.add_argument("--wheel", type=Path, help="a downloaded wheel (default: pip download of the lock)")
    args = parser.parse_args(argv)
    try:
        if args.regenerate or args.verify:
            fresh = render(generate(args.wheel or download_wheel()))
            if args.regenerate:
                SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
                SCHEMA_FILE.write_text(fresh)
                print(f"wrote {SCHEMA_FILE.relative_to(REPO_ROOT)}")
                return 0
            if SCHEMA_FILE.read_text() != fresh:
                print(f"error: {SCHEMA_FILE.relative_to(REPO_ROOT)} differs from the wheel: run "
                      "pipeline-provider-schema --regenerate", file=sys.stderr)  # fmt: skip
                return 1
            print(f"{SCHEMA_FILE.relative_to(REPO_ROOT)} matches the wheel")
            return 0
        problems = check(repo_usages(), load_schema())
    except (SchemaError, OSError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    print(f"every type, argument and block used is in hashicorp/aws {V5} and {V6}, none deprecated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
