variable "name" {
  description = "Key name: the alias becomes `alias/<name>`. Carries the environment, e.g. `crypto-prices-dev`."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,240}$", var.name)) && !startswith(var.name, "aws/")
    error_message = "name may hold letters, digits, '/', '_' and '-' (at most 240) and must not start with 'aws/'."
  }
}

variable "description" {
  description = "Key description."
  type        = string
  default     = "Customer managed key"
}

variable "account_id" {
  description = "AWS account id that owns the key; its root principal administers the key and IAM policies of the account may grant its use."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region of the key (used in the CloudWatch Logs service principal and encryption context)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
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

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number from 7 to 30."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic key rotation period in days (rotation is always on); null keeps the AWS default of 365."
  type        = number
  default     = null

  validation {
    condition     = var.rotation_period_in_days == null || try(var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560, false)
    error_message = "rotation_period_in_days must be from 90 to 2560."
  }
}

variable "service_principals" {
  description = <<-EOT
    AWS services allowed to use the key directly through the key policy. `logs` lets CloudWatch Logs
    encrypt log groups whose name starts with `log_group_name_prefix`; `cloudwatch` lets alarms publish
    to encrypted SNS topics; the others (`sns`, `sqs`, `dynamodb`, `lambda`, `secretsmanager`,
    `events`) get kms:Decrypt/GenerateDataKey limited to this account. Principals of the account
    (e.g. Lambda execution roles) are granted through their own IAM policies.
  EOT
  type        = set(string)
  default     = ["logs"]

  validation {
    condition     = alltrue([for s in var.service_principals : contains(["logs", "cloudwatch", "sns", "sqs", "dynamodb", "lambda", "secretsmanager", "events"], s)])
    error_message = "service_principals may only hold logs, cloudwatch, sns, sqs, dynamodb, lambda, secretsmanager, events."
  }
}

variable "log_group_name_prefix" {
  description = "CloudWatch Logs may use the key only for log groups whose name starts with this prefix (encryption-context condition)."
  type        = string
  default     = "/aws/lambda/"

  validation {
    condition     = startswith(var.log_group_name_prefix, "/")
    error_message = "log_group_name_prefix must start with '/'."
  }
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
