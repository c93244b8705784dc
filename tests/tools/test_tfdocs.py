"""scripts/tfdocs.py reads modules with a real HCL parser: every valid layout gets its exact table row."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import tfdocs

VARIABLES = """\
variable "one_line" { type = string }

variable "notes" {
  description = <<-EOT
    First line with `code` | a pipe.
      Indented "quoted" line.
  EOT
  type        = list(string)
  default     = ["a", "b"]
}

variable "settings" {
  description = "Settings of \\"the\\" thing."
  type = object({
    name    = string
    size    = optional(number, 10)
    enabled = optional(bool, true)
    labels  = optional(map(string), {})
  })
  default   = null
  sensitive = true

  validation {
    condition     = var.settings == null || try(var.settings.size > 0, false)
    error_message = "settings.size must be positive."
  }

  validation {
    condition     = var.settings == null || try(length(var.settings.name) > 0, false)
    error_message = "settings.name must not be empty"
  }
}

variable "short_object" {
  description = "Keys."
  type        = object({ name = string, type = optional(string, "S") })
  default     = { name = "pk", type = "S" }
}

variable "token" {
  description = "A token."
  type        = string
  default     = "$${literal}"
  ephemeral   = true
}
"""

OUTPUTS = (
    'output "id" { value = 1 }\noutput "arn" {\n  description = "ARN."\n  value = 2\n  sensitive = true\n}\n'
)
VERSIONS = """terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    folder = tmp_path / "mod"
    folder.mkdir()
    (folder / "variables.tf").write_text(VARIABLES)
    (folder / "outputs.tf").write_text(OUTPUTS)
    (folder / "versions.tf").write_text(VERSIONS)
    return folder


def rows(section: str, prefix: str) -> dict[str, str]:
    return {
        line.split("[", 1)[1].split("]", 1)[0]: line
        for line in section.splitlines()
        if line.startswith(prefix)
    }


def test_every_layout_gets_its_exact_row(module: Path) -> None:
    section = tfdocs.render(module)
    inputs = rows(section, '| <a name="input_')
    assert list(inputs) == ["notes", "one_line", "settings", "short_object", "token"]
    assert (
        inputs["one_line"]
        == '| <a name="input_one_line"></a> [one_line](#input_one_line) |  | `string` | n/a | yes |'
    )
    assert inputs["notes"] == (
        '| <a name="input_notes"></a> [notes](#input_notes) | First line with `code` \\| a pipe. '
        'Indented "quoted" line. | `list(string)` | `["a", "b"]` | no |'
    )
    assert inputs["settings"] == (
        '| <a name="input_settings"></a> [settings](#input_settings) | Settings of "the" thing. (sensitive) '
        "Validation: settings.size must be positive. settings.name must not be empty. | <pre>object({<br>"
        "  name    = string<br>  size    = optional(number, 10)<br>  enabled = optional(bool, true)<br>"
        "  labels  = optional(map(string), {})<br>})</pre> | `null` | no |"
    )
    assert inputs["short_object"] == (
        '| <a name="input_short_object"></a> [short_object](#input_short_object) | Keys. '
        '| `object({name = string, type = optional(string, "S")})` | `{name = "pk", type = "S"}` | no |'
    )
    assert inputs["token"] == (
        '| <a name="input_token"></a> [token](#input_token) | A token. (ephemeral) '
        '| `string` | `"$${literal}"` | no |'
    )
    assert rows(section, '| <a name="output_') == {
        "arn": '| <a name="output_arn"></a> [arn](#output_arn) | ARN. (sensitive) |',
        "id": '| <a name="output_id"></a> [id](#output_id) |  |',
    }
    assert "| terraform | `>= 1.11` |\n| aws | `~> 5.100` |" in section


def test_heredoc_keeps_its_lines_until_the_cell_joins_them(module: Path) -> None:
    variables, _, _ = tfdocs.read_module(module)
    notes = next(v for v in variables if v.name == "notes")
    assert notes.description == 'First line with `code` | a pipe.\n  Indented "quoted" line.'
    assert next(v for v in variables if v.name == "one_line").default is None


def test_nested_object_types_are_laid_out_like_terraform_fmt() -> None:
    text = (
        "map(object({actions = list(string), resources = list(string), "
        "conditions = optional(list(string), [])}))"
    )
    assert tfdocs.pretty(text) == (
        "map(object({\n"
        "  actions    = list(string)\n"
        "  resources  = list(string)\n"
        "  conditions = optional(list(string), [])\n"
        "}))"
    )
    # A long line without an object stays one line; brackets inside strings do not count.
    assert tfdocs.pretty('optional(list(string), ["{\\"a\\":[1]}", "' + "x" * 60 + '"])').count("\n") == 0


def test_invalid_hcl_is_an_error_with_the_file_named(
    module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (module / "broken.tf").write_text('variable "x" {\n  type = \n')
    assert tfdocs.main(["--check", str(module)]) == 2
    assert "broken.tf: not valid HCL" in capsys.readouterr().err
