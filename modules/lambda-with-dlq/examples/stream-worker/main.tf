# A DynamoDB stream worker: new items of a table are processed in batches; a batch that still fails
# after its retries (or grows too old) goes, as metadata, to the on-failure queue the module creates.
module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-stream-worker"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  log_group_name_prefix   = "/aws/lambda/crypto-prices-example-"
  tags                    = local.tags
}

module "table" {
  source = "../../../dynamodb-stream"

  name                = local.table_name
  kms_key_arn         = module.kms.key_arn
  deletion_protection = false
  tags                = local.tags
}

locals {
  table_name = "crypto-prices-example-orders"
  # Built from names, so the role's policy is known at plan time.
  table_arn = "arn:aws:dynamodb:${var.region}:${var.account_id}:table/${local.table_name}"
}

module "worker" {
  source = "../.."

  function_name = "crypto-prices-example-stream-worker"
  handler       = "price_enricher.handler.handler"
  filename      = var.filename
  kms           = { key_arn = module.kms.key_arn }
  account_id    = var.account_id
  region        = var.region

  environment_variables = { TABLE_NAME = local.table_name }

  policy_statements = {
    WriteResults = {
      actions   = ["dynamodb:UpdateItem"]
      resources = [local.table_arn]
    }
  }

  event_sources = {
    orders = {
      type        = "dynamodb"
      arn         = module.table.stream_arn
      arn_pattern = "${local.table_arn}/stream/*"
      # New items only: the worker's own UpdateItem emits MODIFY records that would invoke it again.
      filters                = [jsonencode({ eventName = ["INSERT"] })]
      batch_size             = var.batch_size
      parallelization_factor = var.parallelization_factor
      maximum_retry_attempts = var.maximum_retry_attempts
    }
  }

  alarms = { enabled = true }
  tags   = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "batch_size" {
  description = "Stream batch size."
  type        = number
  default     = 100
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard."
  type        = number
  default     = 1
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed batch before it goes to the on-failure queue."
  type        = number
  default     = 3
}

output "event_source_mappings" {
  description = "The worker's mappings and their on-failure queues."
  value       = module.worker.event_source_mappings
}

output "policy_json" {
  description = "The worker's plan-time policy."
  value       = module.worker.policy_json
}
