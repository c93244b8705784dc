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

variable "subscriptions" {
  description = <<-EOT
    Subscriptions by a name of the caller's choice. `protocol` and `endpoint` go together: `sqs` and a
    queue ARN (the queue's policy must let this topic `sqs:SendMessage`, and an encrypted queue's key must
    let `sns.amazonaws.com` use it), `lambda` and a function ARN (the function needs a permission for
    `sns.amazonaws.com` with this topic as source), `email` and an address (the recipient confirms), or
    `https` and a URL (the endpoint confirms; `endpoint_auto_confirms` when it does so by itself).
    `raw_message_delivery` sends the message body without the SNS envelope (sqs and https only).
    `filter_policy` is a JSON filter policy matched against the message attributes or, with
    `filter_policy_scope = "MessageBody"`, the message body.
  EOT
  type = map(object({
    protocol               = string
    endpoint               = string
    raw_message_delivery   = optional(bool, false)
    filter_policy          = optional(string)
    filter_policy_scope    = optional(string, "MessageAttributes")
    endpoint_auto_confirms = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : contains(["sqs", "lambda", "email", "https"], s.protocol)])
    error_message = "subscriptions: protocol must be sqs, lambda, email or https."
  }

  validation {
    condition = alltrue([for s in values(var.subscriptions) : (
      s.protocol == "sqs" ? can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+(\\.fifo)?$", s.endpoint)) :
      s.protocol == "lambda" ? can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", s.endpoint)) :
      s.protocol == "email" ? can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint)) :
      s.protocol == "https" ? can(regex("^https://[^\\s/]+", s.endpoint)) : true
    )])
    error_message = "subscriptions: the endpoint must match the protocol: sqs a queue ARN, lambda a function ARN, email an address, https an https:// URL."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : !s.raw_message_delivery || contains(["sqs", "https"], s.protocol)])
    error_message = "subscriptions: raw_message_delivery is only for sqs and https subscriptions."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : s.filter_policy == null || can(keys(jsondecode(s.filter_policy)))])
    error_message = "subscriptions: filter_policy must be a JSON object."
  }

  validation {
    condition     = alltrue([for s in values(var.subscriptions) : contains(["MessageAttributes", "MessageBody"], s.filter_policy_scope)])
    error_message = "subscriptions: filter_policy_scope must be MessageAttributes or MessageBody."
  }
}

variable "policy_statements" {
  description = "More topic policy statements by Sid, typically to let other accounts subscribe (`sns:Subscribe`) or publish: each Allows its `actions` on this topic to the AWS `principals` (account roots or role ARNs), under optional `conditions`. Insecure transport stays denied to everyone."
  type = map(object({
    actions    = list(string)
    principals = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for sid in keys(var.policy_statements) : can(regex("^[A-Za-z0-9]{1,100}$", sid)) && !contains(["AccountManagesTopic", "RolesPublish", "CloudWatchAlarmsPublish", "DenyInsecureTransport"], sid)])
    error_message = "policy_statements: each Sid must be 1-100 letters or digits and not one the module writes itself."
  }

  validation {
    condition = alltrue([for s in values(var.policy_statements) :
      length(s.actions) > 0 && alltrue([for a in s.actions : contains(["sns:Subscribe", "sns:Receive", "sns:Publish", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"], a)])
    ])
    error_message = "policy_statements: actions must be among sns:Subscribe, sns:Receive, sns:Publish, sns:GetTopicAttributes, sns:ListSubscriptionsByTopic."
  }

  validation {
    condition = alltrue([for s in values(var.policy_statements) :
      length(s.principals) > 0 && alltrue([for p in s.principals : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+)$", p))])
    ])
    error_message = "policy_statements: principals must be account-root or IAM role ARNs (never \"*\")."
  }
}

variable "tags" {
  description = "Tags for the topic."
  type        = map(string)
  default     = {}
}
