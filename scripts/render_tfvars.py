"""Render ``envs/<env>/settings.tf`` from ``config/<env>.yaml`` with Jinja2, checked by Terraform first.

1. The YAML's keys and types are checked against the schema derived from
   modules/pipeline/variables.tf (scripts/settings_docs.py): an unknown key or a wrong type stops the
   run with the file and the key named.
2. The rendered ``settings.tf`` is evaluated by Terraform in a throwaway copy of the env root
   (build/tfvars-check/<env>/, offline: local backend, provider mirror of scripts/tfcli.py): an
   out-of-range value fails with the message of the module's own ``validation`` block, the words
   ``make plan`` would print.

Nothing is written unless every environment asked for passes both. The output is stable and
``terraform fmt``-clean: the same configuration gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
import yaml

if __package__ in (None, ""):  # run as a file: python scripts/render_tfvars.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import plan
from scripts.clihelp import description
from scripts.envs import UnknownEnvironment, require
from scripts.envs import environments as discovered_environments
from scripts.errors import UserError, one_line
from scripts.settings_docs import json_schema, settings
from scripts.tfcli import terraform_env
from scripts.tfversion import TerraformVersionError, terraform_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO_ROOT / "config"
TEMPLATE_NAME = "settings.tf.j2"
ENVS_DIR = REPO_ROOT / "envs"
MODULE_DIR = REPO_ROOT / "modules" / "pipeline"
SETTINGS_FILE = "settings.tf"
CHECK_DIR = REPO_ROOT / "build" / "tfvars-check"


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class ConfigError(UserError):
    """The configuration cannot be rendered; the message names the file and key."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice (YAML would keep the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def hcl(value: Any) -> str:
    """A Python value as an HCL expression (the ``hcl`` filter of the template)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = json.dumps(value, ensure_ascii=False)
        return escaped.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return "[" + ", ".join(hcl(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = {k: (k if _IDENTIFIER.match(k) else json.dumps(k)) for k in map(str, value)}
        width = max(len(shown) for shown in keys.values())
        inner = "\n".join(
            f"  {keys[str(k)]:<{width}} = {hcl(v).replace(chr(10), chr(10) + '  ')}" for k, v in value.items()
        )
        return "{\n" + inner + "\n}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _key_path(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        prefix = f"{path}." if path else ""
        return ", ".join(f"{prefix}{key}" for key in extra) or path or "<top level>"
    return path or "<top level>"


def load_config(env: str, config_dir: Path | None = None) -> dict[str, Any]:
    """Read and validate ``<config_dir>/<env>.yaml``; raises ConfigError naming the key."""
    config_dir = config_dir or CONFIG_DIR
    path = config_dir / f"{env}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in config_dir.glob("*.yaml"))
        raise ConfigError(f"{path}: no such configuration (known environments: {', '.join(known)})")
    try:
        data = yaml.load(path.read_text(), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")
    validator = jsonschema.Draft202012Validator(json_schema(settings(MODULE_DIR)))
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        lines = [f"{path}: key '{_key_path(e)}': {_describe(e)}" for e in errors]
        raise ConfigError("\n".join(lines))
    if data.get("environment") != env:
        raise ConfigError(
            f"{path}: key 'environment': must be {env!r} (the file's name), got {data.get('environment')!r}"
        )
    return data


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        return "unknown key (" + error.message + ")"
    return error.message


def render(env: str, config_dir: Path | None = None) -> str:
    """The settings.tf text for one environment (keys and types checked, values not yet)."""
    config = load_config(env, config_dir)
    jinja = jinja2.Environment(
        loader=jinja2.FileSystemLoader((config_dir or CONFIG_DIR) / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - renders HCL, not HTML; values go through the hcl filter
    )
    jinja.filters["hcl"] = hcl
    template = jinja.get_template(TEMPLATE_NAME)
    return _terraform_fmt(template.render(config=config, env=env, source=f"config/{env}.yaml"))


def _terraform(
    args: list[str], cwd: Path, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess:
    try:
        binary = terraform_binary()
    except TerraformVersionError as exc:
        raise ConfigError(str(exc)) from exc
    return subprocess.run(
        [binary, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
    )


def _terraform_fmt(text: str) -> str:
    done = _terraform(["fmt", "-no-color", "-"], REPO_ROOT, dict(os.environ), stdin=text)
    if done.returncode != 0:
        raise ConfigError(f"terraform fmt refused the rendered settings:\n{done.stderr}")
    return done.stdout


def _diagnostics(source: str, stderr: str) -> list[str]:
    """Terraform's ``Error:`` blocks as ``<config file>: <summary>: <message> (<rule>) [<values>]``."""
    found = []
    for block in re.split(r"^Error: ", stderr, flags=re.MULTILINE)[1:]:
        block = re.split(r"^Warning: ", block, flags=re.MULTILINE)[0]
        summary, _, body = block.partition("\n")
        values = re.findall(r"^\s*│ (.+)$", body, flags=re.MULTILINE)
        values += [f"passed to module.{name}" for name in re.findall(r', in module "([^"]+)":', body)]
        # The message: the paragraphs after the source snippet (location, code line, value box).
        paragraphs = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
        message = [
            p for p in paragraphs if not re.match(r"\s*(on .+ line \d+|\d+:|[│├])", p.strip().splitlines()[0])
        ]
        text = " ".join(" ".join(message).split())
        text = re.sub(
            r" ?This was checked by the validation rule at (?:\.\./)*(\S+?):(\d+),[\d-]+\.",
            r" (\1:\2)",
            text,
        )
        shown = f" [{'; '.join(values)}]" if values else ""
        found.append(f"{source}: {summary.strip()}: {text}{shown}")
    return found


def check_with_terraform(env: str, text: str, work: Path | None = None) -> None:
    """Evaluate envs/<env> with ``text`` as its settings.tf in a throwaway copy (local backend, no
    AWS call): every ``validation`` block of the pipeline and of the modules it calls sees the
    values, as in ``make plan``. Raises ConfigError carrying Terraform's own messages.

    ``terraform console`` is used because ``terraform validate`` leaves a module's input unknown
    inside the modules below it, so it would check only the pipeline's own validations."""
    work = work or CHECK_DIR / env
    workdir = plan.scratch_copy(env, work, files={SETTINGS_FILE: text})
    tf_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        **terraform_env(),
        **plan.FAKE_CREDENTIALS,
        "TF_IN_AUTOMATION": "1",
        "TF_DATA_DIR": str(work / ".terraform"),
    }
    init = _terraform(["init", "-input=false", "-no-color"], workdir, tf_env)
    if init.returncode != 0:
        raise ConfigError(
            f"envs/{env}: terraform init (to check the settings) failed:\n{init.stdout}{init.stderr}"
        )
    # Any expression makes console evaluate the whole configuration first; the zips are not read.
    done = _terraform(
        ["console", "-no-color", f"-var=build_dir={work}"],
        workdir,
        tf_env,
        stdin="local.settings.environment\n",
    )
    errors = _diagnostics(str(CONFIG_DIR / f"{env}.yaml"), done.stderr)
    if errors:
        raise ConfigError("\n".join(errors))
    if done.returncode != 0:
        raise ConfigError(f"envs/{env}: terraform console failed:\n{done.stdout}{done.stderr}")


def environments() -> list[str]:
    return discovered_environments(REPO_ROOT)


def write(env: str, text: str, out_dir: Path | None = None) -> Path:
    """Write a rendered text to ``<out_dir>/<env>/settings.tf`` (atomically, only if it changed)."""
    target = (out_dir or ENVS_DIR) / env / SETTINGS_FILE
    if not target.parent.is_dir():
        raise ConfigError(f"{target.parent}: no such environment root")
    if not target.is_file() or target.read_text() != text:
        tmp = target.with_suffix(".tf.tmp")
        tmp.write_text(text)
        tmp.replace(target)
    return target


def sync_settings(env: str) -> str:
    """Bring envs/<env>/settings.tf up to date with config/<env>.yaml before a plan or an apply:
    render it, and when it differs from the file (or there is none) check it with Terraform and
    write it. Returns the line that says which; raises ConfigError naming the file and key."""
    text = render(env)
    target = ENVS_DIR / env / SETTINGS_FILE
    shown = f"envs/{env}/{SETTINGS_FILE}"
    if target.is_file() and target.read_text() == text:
        return f"{shown} is up to date with config/{env}.yaml"
    why = "differed from" if target.is_file() else "was not rendered from"
    print(f"{shown} {why} config/{env}.yaml: rendering it (checked by terraform, about 10 s)", flush=True)
    check_with_terraform(env, text)
    write(env, text)
    return f"rendered {shown} from config/{env}.yaml"


@one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=description(__doc__))
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--env", help="environment to render (config/<env>.yaml)")
    group.add_argument("--all", action="store_true", help="render every environment")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a committed file differs from a fresh render"
    )
    parser.add_argument(
        "--no-terraform", action="store_true", help="skip the terraform check of the rendered settings"
    )
    args = parser.parse_args(argv)
    try:
        envs = environments() if args.all else [require(args.env, REPO_ROOT)]
    except UnknownEnvironment as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Validate and render everything first, so one bad file writes nothing at all.
    rendered = {env: render(env) for env in envs}
    if not args.no_terraform:
        for n, (env, text) in enumerate(rendered.items(), 1):
            print(f"[{n}/{len(rendered)}] checking config/{env}.yaml with terraform", flush=True)
            check_with_terraform(env, text)
    stale = []
    for env, text in rendered.items():
        target = ENVS_DIR / env / SETTINGS_FILE
        if args.check:
            if not target.is_file() or target.read_text() != text:
                stale.append(str(target.relative_to(REPO_ROOT)))
            continue
        write(env, text)
        print(f"rendered {target.relative_to(REPO_ROOT)} from config/{env}.yaml (checked by terraform)")
    if stale:
        print("error: out of date, run `make tfvars-all`: " + ", ".join(stale), file=sys.stderr)
        return 1
    if args.check:
        print(f"up to date: the settings.tf of {', '.join(envs)} match their config/<env>.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
