# Asynchronously invoked functions (S3, SNS, EventBridge, InvocationType=Event). Lambda retries a failed
# event (maximum_retry_attempts) while it is young enough (maximum_event_age_in_seconds), then:
# - the worker: to a dead-letter queue the module creates (dead_letter_config: the event only);
# - the notifier: to on-failure / on-success destinations (the event, the error or the result).
module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-async"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  log_group_name_prefix   = "/aws/lambda/crypto-prices-example-"
  tags                    = local.tags
}

module "worker" {
  source = "../.."

  function_name = "crypto-prices-example-async-worker"
  handler       = "price_enricher.handler.handler"
  filename      = var.filename
  kms           = { key_arn = module.kms.key_arn }
  account_id    = var.account_id
  region        = var.region

  async_invocation = {
    maximum_retry_attempts       = var.maximum_retry_attempts
    maximum_event_age_in_seconds = var.maximum_event_age_in_seconds
    dead_letter_queue            = true
  }

  alarms = { enabled = true }
  tags   = local.tags
}

resource "aws_sqs_queue" "failures" {
  name                              = "crypto-prices-example-notifier-failures"
  kms_master_key_id                 = module.kms.key_arn
  kms_data_key_reuse_period_seconds = 300
  tags                              = local.tags
}

resource "aws_sns_topic" "results" {
  name              = "crypto-prices-example-notifier-results"
  kms_master_key_id = module.kms.key_arn
  tags              = local.tags
}

locals {
  # Built from the names (known at plan time, and dependencies on the queue and topic).
  failures_arn = "arn:aws:sqs:${var.region}:${var.account_id}:${aws_sqs_queue.failures.name}"
  results_arn  = "arn:aws:sns:${var.region}:${var.account_id}:${aws_sns_topic.results.name}"
}

module "notifier" {
  source = "../.."

  function_name = "crypto-prices-example-async-notifier"
  handler       = "price_enricher.handler.handler"
  filename      = var.filename
  # GenerateDataKey: the destinations are encrypted with the key.
  kms        = { key_arn = module.kms.key_arn, actions = ["kms:Decrypt", "kms:GenerateDataKey"] }
  account_id = var.account_id
  region     = var.region

  async_invocation = {
    maximum_retry_attempts       = var.maximum_retry_attempts
    maximum_event_age_in_seconds = var.maximum_event_age_in_seconds
    dead_letter_queue            = false
    on_failure_destination_arn   = local.failures_arn
    on_success_destination_arn   = local.results_arn
  }

  tags = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed asynchronous event (0-2)."
  type        = number
  default     = 2
}

variable "maximum_event_age_in_seconds" {
  description = "How long an event may wait for a retry (60-21600)."
  type        = number
  default     = 3600
}

output "dead_letter_queue_url" {
  description = "The worker's dead-letter queue."
  value       = module.worker.async_dlq_url
}

output "notifier_policy_json" {
  description = "The notifier's plan-time policy (its destinations)."
  value       = module.notifier.policy_json
}
