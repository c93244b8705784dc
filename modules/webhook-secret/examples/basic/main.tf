module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-secret"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  tags                    = local.tags
}

module "secret" {
  source = "../.."

  name                    = "crypto-prices/example/webhook-signing-secret"
  kms_key_arn             = module.kms.key_arn
  recovery_window_in_days = 7
  existing_secret_arn     = var.existing_secret_arn
  initial_value           = var.initial_value
  tags                    = local.tags
}

variable "initial_value" {
  description = "First value of the secret; null for a placeholder. Ephemeral: never in plan or state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "existing_secret_arn" {
  description = "Existing secret to reference instead of creating one."
  type        = string
  default     = null
}

output "secret_arn" {
  description = "Secret ARN."
  value       = module.secret.secret_arn
}
