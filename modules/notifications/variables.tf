variable "name" {
  description = "Topic name; carries the environment, e.g. `crypto-prices-dev-enriched`."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.name))
    error_message = "name must be 1-256 letters, digits, '_' or '-' (standard topic)."
  }
}

variable "display_name" {
  description = "Display name (used as the sender name of SMS/e-mail subscriptions)."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer managed key encrypting messages at rest. Publishers need kms:GenerateDataKey and kms:Decrypt on it."
  type        = string

  validation {
    condition     = can(regex("^arn:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "account_id" {
  description = "AWS account id owning the topic."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "partition" {
  description = "AWS partition."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "publisher_role_arns" {
  description = "IAM roles allowed to publish by the topic policy (their own IAM policy must allow sns:Publish too)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.publisher_role_arns : can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", a))])
    error_message = "publisher_role_arns must be IAM role ARNs."
  }
}

variable "allow_cloudwatch_alarms" {
  description = "Let CloudWatch alarms of this account publish to the topic (the KMS key must also allow the `cloudwatch` service principal)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the topic."
  type        = map(string)
  default     = {}
}
