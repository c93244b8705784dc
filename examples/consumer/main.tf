# A root of another repository that uses three modules through their inputs and outputs only. In that
# repository each source pins a release of this one (docs/releases.md):
#
#   source = "git::https://<host>/<org>/<repo>.git//modules/kms?ref=<commit of the release in releases.toml>"
#
# Here the sources are local paths so the tests validate and plan this root against the current code.

module "kms" {
  source = "../../modules/kms"

  name                    = "orders-${var.environment}"
  description             = "orders ${var.environment}: table and events"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 30
  service_principals      = ["logs", "sns"]
  key_administrators      = ["arn:aws:iam::${var.account_id}:role/platform-admin"]
  key_users               = [var.service_role_arn]
}

module "table" {
  source = "../../modules/dynamodb-stream"

  name        = "orders-${var.environment}"
  kms_key_arn = module.kms.key_arn
  hash_key    = { name = "order_id" }
  range_key   = null
  global_secondary_indexes = {
    by_customer = { hash_key = "customer_id", range_key = "created_at", range_key_type = "N" }
  }
  point_in_time_recovery_period_in_days = 14
  on_demand_throughput                  = { max_write_request_units = 500 }
  # The service reads the table directly; nobody consumes a stream.
  stream_enabled = false
}

module "events" {
  source = "../../modules/notifications"

  name                = "orders-${var.environment}-events"
  kms_key_arn         = module.kms.key_arn
  account_id          = var.account_id
  publisher_role_arns = [var.service_role_arn]
  subscriptions = {
    ops = { protocol = "email", endpoint = var.ops_email }
  }
}

variable "environment" {
  description = "Environment name, part of every resource name."
  type        = string
  default     = "example"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "AWS account id."
  type        = string
  default     = "123456789012"
}

variable "service_role_arn" {
  description = "Role of the orders service: uses the key, publishes events."
  type        = string
  default     = "arn:aws:iam::123456789012:role/orders-service"
}

variable "ops_email" {
  description = "Address that receives the order events."
  type        = string
  default     = "ops@example.com"
}

output "table_name" {
  description = "Orders table."
  value       = module.table.table_name
}

output "customer_index_arn" {
  description = "ARN of the by_customer index, for the service's IAM policy."
  value       = module.table.global_index_arns["by_customer"]
}

output "stream_arn" {
  description = "Null: the stream is off."
  value       = module.table.stream_arn
}

output "events_topic_arn" {
  description = "Topic the service publishes order events to."
  value       = module.events.topic_arn
}

output "key_arn" {
  description = "Key of the table and the topic."
  value       = module.kms.key_arn
}
