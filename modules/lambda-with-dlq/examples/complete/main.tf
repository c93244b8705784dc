# The three ways a function is invoked, and what each gets for its failures:
# - webhook (Function URL, synchronous): the caller sees the error; no DLQ, it would never receive anything.
# - consumer (DynamoDB stream, polled): INSERT-only filter, bisect, bounded retries, on-failure SQS queue.
# - worker (asynchronous invocations): here, and only here, a dead-letter queue.
module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-functions"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  log_group_name_prefix   = "/aws/lambda/crypto-prices-example-"
  tags                    = local.tags
}

module "table" {
  source = "../../../dynamodb-stream"

  name                = "crypto-prices-example-stream-ticks"
  kms_key_arn         = module.kms.key_arn
  deletion_protection = false
  tags                = local.tags
}

locals {
  table_arn = "arn:aws:dynamodb:${var.region}:${var.account_id}:table/crypto-prices-example-stream-ticks"
}

module "webhook" {
  source = "../.."

  function_name        = "crypto-prices-example-webhook"
  handler              = "webhook_processor.handler.handler"
  filename             = var.filename
  reserved_concurrency = 5
  kms                  = { key_arn = module.kms.key_arn }
  account_id           = var.account_id
  region               = var.region
  log_retention_days   = 7
  function_url         = { authorization_type = var.authorization_type }
  tags                 = local.tags
}

module "consumer" {
  source = "../.."

  function_name        = "crypto-prices-example-consumer"
  handler              = "price_enricher.handler.handler"
  filename             = var.filename
  reserved_concurrency = 2
  kms                  = { key_arn = module.kms.key_arn }
  account_id           = var.account_id
  region               = var.region
  log_retention_days   = 7

  environment_variables = { TABLE_NAME = "crypto-prices-example-stream-ticks" }

  policy_statements = {
    WriteIndicators = {
      actions   = ["dynamodb:UpdateItem"]
      resources = [local.table_arn]
    }
  }

  stream_source = {
    event_source_arn       = module.table.stream_arn
    stream_arn_pattern     = "${local.table_arn}/stream/*"
    batch_size             = var.batch_size
    maximum_retry_attempts = 3
  }

  alarms = { enabled = true }
  tags   = local.tags
}

module "worker" {
  source = "../.."

  function_name        = "crypto-prices-example-worker"
  handler              = "worker.handler.handler"
  filename             = var.filename
  reserved_concurrency = 2
  kms                  = { key_arn = module.kms.key_arn }
  account_id           = var.account_id
  region               = var.region
  tracing_mode         = "PassThrough"
  async_invocation     = { maximum_retry_attempts = 2, maximum_event_age_in_seconds = 3600 }
  tags                 = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "authorization_type" {
  description = "Function URL auth type of the webhook."
  type        = string
  default     = "NONE"
}

variable "batch_size" {
  description = "Stream batch size of the consumer."
  type        = number
  default     = 100
}

output "function_url" {
  description = "Webhook Function URL."
  value       = module.webhook.function_url
}

output "event_source_mapping_uuid" {
  description = "Consumer mapping UUID."
  value       = module.consumer.event_source_mapping_uuid
}

output "on_failure_queue_url" {
  description = "Consumer on-failure queue URL."
  value       = module.consumer.on_failure_queue_url
}

output "async_dlq_arn" {
  description = "Worker dead-letter queue ARN."
  value       = module.worker.async_dlq_arn
}
