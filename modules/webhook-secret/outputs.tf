output "secret_arn" {
  description = "Secret ARN (the webhook's WEBHOOK_SECRET_ARN)."
  value       = local.create ? try(aws_secretsmanager_secret.this[0].arn, null) : var.existing_secret_arn
}

output "secret_name" {
  description = "Secret name, or null for an existing secret."
  value       = local.create ? try(aws_secretsmanager_secret.this[0].name, null) : null
}

output "created" {
  description = "Whether the module created the secret."
  value       = local.create
}
