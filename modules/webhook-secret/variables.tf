variable "name" {
  description = "Secret name; carries the environment, e.g. `crypto-prices/dev/webhook-signing-secret`. Ignored when `existing_secret_arn` is set."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_+=.@-]{1,512}$", var.name))
    error_message = "name may hold letters, digits and /_+=.@- (at most 512)."
  }
}

variable "description" {
  description = "Secret description."
  type        = string
  default     = "HMAC-SHA256 signing secret of the price webhook (SecretString). Replace the placeholder value; AWSPREVIOUS stays valid during a rotation."
}

variable "kms_key_arn" {
  description = "Customer managed key encrypting the secret."
  type        = string

  validation {
    condition     = can(regex("^arn:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can be restored: 0 deletes at once (throw-away environments only), else 7-30."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or from 7 to 30."
  }
}

variable "initial_value" {
  description = <<-EOT
    Value of the first version, or null for an unguessable placeholder (two UUIDs) that no sender knows, so
    nothing is accepted until the operator puts the real secret (`aws secretsmanager put-secret-value`).
    Ephemeral and written through a write-only argument: it reaches neither the plan nor the state, and
    Terraform never overwrites a value set later.
  EOT
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.initial_value == null || try(length(var.initial_value) >= 16, false)
    error_message = "initial_value must be at least 16 characters."
  }
}

variable "existing_secret_arn" {
  description = "ARN of a secret managed elsewhere: nothing is created, the module only hands the ARN on."
  type        = string
  default     = null

  validation {
    condition     = var.existing_secret_arn == null || can(regex("^arn:[a-z-]+:secretsmanager:", var.existing_secret_arn))
    error_message = "existing_secret_arn must be a Secrets Manager ARN."
  }
}

variable "tags" {
  description = "Tags for the secret."
  type        = map(string)
  default     = {}
}
