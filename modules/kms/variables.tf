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

variable "key_administrators" {
  description = "IAM principals (role, user or account-root ARNs) that administer the key (create, describe, enable, disable, tag, rotate, schedule deletion, put the policy) without using it to encrypt or decrypt. The account root always keeps `kms:*`, so the key can never be locked out."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.key_administrators : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", a))])
    error_message = "key_administrators must be IAM role, user or account-root ARNs."
  }
}

variable "key_users" {
  description = "IAM principals (role, user or account-root ARNs, other accounts too) that use the key: encrypt, decrypt, re-encrypt, generate data keys, describe; and create grants only for AWS services (`kms:GrantIsForAWSResource`). Principals of this account can also be granted use by their own IAM policies."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.key_users : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", a))])
    error_message = "key_users must be IAM role, user or account-root ARNs."
  }
}

variable "extra_statements" {
  description = <<-EOT
    More key policy statements by Sid, for what the inputs above do not cover (a service principal of
    another account, a condition on the encryption context). The resource is always the key itself.
    A Deny statement needs a condition and may not cover `kms:PutKeyPolicy`, so nobody can be locked
    out of the key or stopped from repairing its policy.
  EOT
  type = map(object({
    effect  = optional(string, "Allow")
    actions = list(string)
    principals = list(object({
      type        = string
      identifiers = list(string)
    }))
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for sid, s in var.extra_statements : can(regex("^[A-Za-z0-9]{1,100}$", sid)) && !contains(["AccountRootAdministers", "KeyAdministrators", "KeyUsers", "KeyUsersGrantToAwsServices", "CloudWatchLogsEncryptsLogGroups"], sid) && !endswith(sid, "UsesDataKeys")])
    error_message = "extra_statements: each Sid must be 1-100 letters or digits and not one the module writes itself."
  }

  validation {
    condition = alltrue([for s in values(var.extra_statements) :
      contains(["Allow", "Deny"], s.effect) && length(s.actions) > 0 && length(s.principals) > 0 &&
      alltrue([for a in s.actions : can(regex("^kms:[A-Za-z*]+$", a))]) &&
      alltrue([for p in s.principals : contains(["AWS", "Service"], p.type) && length(p.identifiers) > 0])
    ])
    error_message = "extra_statements: effect must be Allow or Deny, actions kms:<Action> and principals of type AWS or Service, none empty."
  }

  validation {
    condition = alltrue([for s in values(var.extra_statements) :
      s.effect == "Allow" || (length(s.conditions) > 0 && !anytrue([for a in s.actions : contains(["kms:*", "kms:Put*", "kms:PutKeyPolicy"], a)]))
    ])
    error_message = "extra_statements: a Deny statement needs a condition and may not cover kms:PutKeyPolicy (kms:*, kms:Put*), or it could lock the account out of the key."
  }
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
