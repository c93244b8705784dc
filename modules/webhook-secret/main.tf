locals {
  create = var.existing_secret_arn == null
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:A shared HMAC key is rotated together with the sending feed, not by a Lambda rotator; the handler accepts AWSCURRENT and AWSPREVIOUS so the operator rotates without downtime.
  count                   = local.create ? 1 : 0
  name                    = var.name
  description             = var.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "placeholder" {
  count     = local.create ? 1 : 0
  secret_id = aws_secretsmanager_secret.this[0].id
  # Write-only: the value goes to Secrets Manager and never into the plan or the state. Terraform
  # writes it again only when secret_string_wo_version changes, so a value the operator puts later
  # is never overwritten.
  secret_string_wo         = coalesce(var.initial_value, "placeholder-${uuid()}-${uuid()}")
  secret_string_wo_version = 1
}
