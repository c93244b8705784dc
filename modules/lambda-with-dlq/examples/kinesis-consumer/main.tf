# A Kinesis consumer: records of an encrypted stream are processed in batches (optionally through an
# enhanced fan-out consumer); a batch that still fails after its retries goes, as metadata, to the
# on-failure queue the module creates. The role may decrypt with the stream's key.
module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-kinesis-consumer"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  log_group_name_prefix   = "/aws/lambda/crypto-prices-example-"
  tags                    = local.tags
}

locals {
  stream_name   = "crypto-prices-example-trades"
  consumer_name = "crypto-prices-example-kinesis-consumer"
  # Built from names, so the role's policy is known at plan time; an enhanced fan-out consumer's ARN ends
  # in its creation time, known after apply only.
  stream_arn   = "arn:aws:kinesis:${var.region}:${var.account_id}:stream/${aws_kinesis_stream.trades.name}"
  consumer_arn = "${local.stream_arn}/consumer/${local.consumer_name}:*"
}

resource "aws_kinesis_stream" "trades" {
  name             = local.stream_name
  retention_period = 24
  encryption_type  = "KMS"
  kms_key_id       = module.kms.key_arn

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}

resource "aws_kinesis_stream_consumer" "this" {
  count      = var.enhanced_fan_out ? 1 : 0
  name       = local.consumer_name
  stream_arn = aws_kinesis_stream.trades.arn
}

module "consumer" {
  source = "../.."

  function_name = "crypto-prices-example-kinesis-consumer"
  handler       = "price_enricher.handler.handler"
  filename      = var.filename
  kms           = { key_arn = module.kms.key_arn }
  account_id    = var.account_id
  region        = var.region

  event_sources = {
    trades = {
      type                       = "kinesis"
      arn                        = var.enhanced_fan_out ? aws_kinesis_stream_consumer.this[0].arn : aws_kinesis_stream.trades.arn
      arn_pattern                = var.enhanced_fan_out ? local.consumer_arn : local.stream_arn
      kms_key_arn                = module.kms.key_arn
      starting_position          = "LATEST"
      batch_size                 = var.batch_size
      parallelization_factor     = 2
      maximum_retry_attempts     = 2
      tumbling_window_in_seconds = var.tumbling_window_in_seconds
      filters                    = [jsonencode({ data = { side = ["buy", "sell"] } })]
    }
  }

  alarms = { enabled = true }
  tags   = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "enhanced_fan_out" {
  description = "Read through an enhanced fan-out consumer (dedicated throughput, pushed by SubscribeToShard)."
  type        = bool
  default     = false
}

variable "batch_size" {
  description = "Records per batch."
  type        = number
  default     = 100
}

variable "tumbling_window_in_seconds" {
  description = "Aggregation window for stateful processing (0: none)."
  type        = number
  default     = null
}

output "event_source_mappings" {
  description = "The consumer's mapping and its on-failure queue."
  value       = module.consumer.event_source_mappings
}
