# An SQS worker without a customer managed key (kms = null: SSE-SQS, Lambda's and CloudWatch Logs' own
# keys). A message the worker fails goes back to its queue; after maxReceiveCount receives the queue's
# redrive policy moves it to the dead-letter queue. The module creates no queue for this source: the
# failure path is the source queue's own configuration, here.
locals {
  queue_name = "crypto-prices-example-jobs"
  # Built from the queue's name (known at plan time, and a dependency on the queue).
  queue_arn = "arn:aws:sqs:${var.region}:${var.account_id}:${aws_sqs_queue.jobs.name}"
}

resource "aws_sqs_queue" "jobs_dlq" {
  name                      = "${local.queue_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "jobs" {
  name                    = local.queue_name
  sqs_managed_sse_enabled = true
  # AWS's advice: at least 6 x the function timeout, so a throttled batch can be retried in time.
  visibility_timeout_seconds = var.visibility_timeout_seconds
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.jobs_dlq.arn
    maxReceiveCount     = 5
  })
}

module "worker" {
  source = "../.."

  function_name = "crypto-prices-example-sqs-worker"
  handler       = "price_enricher.handler.handler"
  filename      = var.filename
  timeout       = var.timeout
  account_id    = var.account_id
  region        = var.region
  tracing_mode  = "PassThrough"

  event_sources = {
    jobs = {
      type                               = "sqs"
      arn                                = aws_sqs_queue.jobs.arn
      arn_pattern                        = local.queue_arn
      batch_size                         = var.batch_size
      maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
      queue_visibility_timeout_seconds   = aws_sqs_queue.jobs.visibility_timeout_seconds
      scaling_config                     = { maximum_concurrency = 2 }
    }
  }

  alarms = { enabled = true }
  tags   = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 30
}

variable "visibility_timeout_seconds" {
  description = "The source queue's visibility timeout (at least 6 x timeout)."
  type        = number
  default     = 180
}

variable "batch_size" {
  description = "Messages per batch."
  type        = number
  default     = 10
}

variable "maximum_batching_window_in_seconds" {
  description = "How long to gather a batch."
  type        = number
  default     = 0
}

output "event_source_mappings" {
  description = "The worker's mapping."
  value       = module.worker.event_source_mappings
}

output "dead_letter_queue_url" {
  description = "Where messages end after maxReceiveCount failed receives."
  value       = aws_sqs_queue.jobs_dlq.url
}
