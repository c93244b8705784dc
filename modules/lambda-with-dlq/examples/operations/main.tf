# The operational settings teams expect: recursive-loop detection, event source mapping metrics, a
# browser-facing Function URL with CORS, an infrequent-access log group (or a log group of the caller's),
# and other services allowed to invoke the function (S3 notifications, an SNS topic, an EventBridge rule).
resource "aws_sqs_queue" "events" {
  name                       = "crypto-prices-example-ops-events"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 180
}

module "function" {
  source = "../.."

  function_name           = "crypto-prices-example-operations"
  handler                 = "price_enricher.handler.handler"
  filename                = var.filename
  account_id              = var.account_id
  region                  = var.region
  recursive_loop          = var.recursive_loop
  log_group_class         = var.existing_log_group_name == null ? var.log_group_class : null
  existing_log_group_name = var.existing_log_group_name

  event_sources = {
    events = {
      type                             = "sqs"
      arn                              = aws_sqs_queue.events.arn
      arn_pattern                      = "arn:aws:sqs:${var.region}:${var.account_id}:crypto-prices-example-ops-events"
      queue_visibility_timeout_seconds = aws_sqs_queue.events.visibility_timeout_seconds
      metrics                          = var.mapping_metrics
    }
  }

  function_url = {
    authorization_type = "AWS_IAM"
    cors               = var.cors
  }

  allowed_triggers = var.allowed_triggers
  tags             = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "recursive_loop" {
  description = "Terminate or Allow, or null for AWS's default."
  type        = string
  default     = "Terminate"
}

variable "mapping_metrics" {
  description = "Metrics of the event source mapping."
  type        = list(string)
  default     = ["EventCount"]
}

variable "log_group_class" {
  description = "Class of the module's log group."
  type        = string
  default     = "INFREQUENT_ACCESS"
}

variable "existing_log_group_name" {
  description = "A log group of yours, or null for the module's."
  type        = string
  default     = null
}

variable "cors" {
  description = "CORS of the Function URL."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["*"])
    allow_headers     = optional(list(string), [])
    expose_headers    = optional(list(string), [])
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 0)
  })
  default = {
    allow_origins     = ["https://dashboard.example.com"]
    allow_methods     = ["GET", "POST"]
    allow_headers     = ["content-type", "x-amz-date", "authorization"]
    allow_credentials = true
    max_age           = 3600
  }
}

variable "allowed_triggers" {
  description = "Other invokers, by statement id."
  type = map(object({
    principal      = string
    source_arn     = optional(string)
    source_account = optional(string)
  }))
  default = {
    UploadsBucket = {
      principal      = "s3.amazonaws.com"
      source_arn     = "arn:aws:s3:::crypto-prices-example-uploads"
      source_account = "123456789012"
    }
    AlertsTopic = {
      principal  = "sns.amazonaws.com"
      source_arn = "arn:aws:sns:us-east-1:123456789012:crypto-prices-example-alerts"
    }
    NightlyRule = {
      principal  = "events.amazonaws.com"
      source_arn = "arn:aws:events:us-east-1:123456789012:rule/crypto-prices-example-nightly"
    }
  }
}

output "log_group_name" {
  description = "The function's log group."
  value       = module.function.log_group_name
}

output "function_url" {
  description = "The Function URL."
  value       = module.function.function_url
}
