# Shared by every environment (symlinked as envs/<env>/pipeline.tf): variables, the pipeline module and
# outputs. Each environment only adds its terraform/backend block, its provider and terraform.tfvars.

variable "environment" {
  description = "Environment name (dev, staging, prod, local)."
  type        = string
}

variable "aws_region" {
  description = "AWS region of the environment."
  type        = string
}

variable "account_id" {
  description = "AWS account id (12 digits) the environment lives in. Required: the provider's allowed_account_ids refuses to plan or apply with credentials of any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be the 12-digit id of the environment's AWS account."
  }
}

variable "offline_plan" {
  description = "Plan without AWS access (scripts/plan.py sets it when no credentials exist): the provider skips credential/account checks. Never apply with it."
  type        = bool
  default     = false
}

variable "application" {
  description = "Application name (resource-name prefix and Application tag)."
  type        = string
  default     = "crypto-prices"
}

variable "tags" {
  description = "Extra tags on every resource (Environment, Application, ManagedBy are always set)."
  type        = map(string)
  default     = {}
}

variable "webhook_zip" {
  description = "Path of webhook_processor.zip; null: <repo>/build/webhook_processor.zip (make package)."
  type        = string
  default     = null
}

variable "enricher_zip" {
  description = "Path of price_enricher.zip; null: <repo>/build/price_enricher.zip (make package)."
  type        = string
  default     = null
}

variable "kms_deletion_window_in_days" {
  description = "KMS key deletion waiting period (7-30)."
  type        = number
  default     = 30
}

variable "tick_ttl_days" {
  description = "Days ticks are kept (0: forever)."
  type        = number
  default     = 0
}

variable "log_retention_days" {
  description = "Log retention of both functions."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL."
  type        = string
  default     = "INFO"
}

variable "tracing_mode" {
  description = "X-Ray tracing mode (Active or PassThrough)."
  type        = string
  default     = "Active"
}

variable "table" {
  description = "Price table settings (see modules/pipeline)."
  type = object({
    table_class         = optional(string, "STANDARD")
    deletion_protection = optional(bool, true)
  })
  default = {}
}

variable "webhook" {
  description = "Webhook function settings (see modules/pipeline)."
  type = object({
    memory_size              = optional(number, 256)
    timeout                  = optional(number, 10)
    reserved_concurrency     = optional(number)
    max_body_bytes           = optional(number)
    url_auth_type            = optional(string, "NONE")
    secret_cache_ttl_seconds = optional(number, 300)
  })
  default = {}
}

variable "enricher" {
  description = "Enricher function and stream mapping settings (see modules/pipeline)."
  type = object({
    memory_size                        = optional(number, 256)
    timeout                            = optional(number, 60)
    reserved_concurrency               = optional(number)
    starting_position                  = optional(string, "TRIM_HORIZON")
    batch_size                         = optional(number, 100)
    maximum_batching_window_in_seconds = optional(number, 1)
    parallelization_factor             = optional(number, 1)
    maximum_retry_attempts             = optional(number, 5)
    maximum_record_age_in_seconds      = optional(number, 3600)
  })
  default = {}
}

variable "webhook_secret" {
  description = "Signing secret: recovery window, or the ARN of an existing secret."
  type = object({
    recovery_window_in_days = optional(number, 30)
    existing_arn            = optional(string)
  })
  default = {}
}

variable "webhook_secret_initial_value" {
  description = "First value of the created signing secret; null: an unguessable placeholder the operator replaces. Ephemeral: never in plan or state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "alarms" {
  description = "Alarm settings (see modules/pipeline)."
  type = object({
    enabled                     = optional(bool, true)
    topic_arn                   = optional(string)
    errors_threshold            = optional(number, 1)
    throttles_threshold         = optional(number, 1)
    iterator_age_ms_threshold   = optional(number, 60000)
    queue_depth_threshold       = optional(number, 1)
    queue_age_seconds_threshold = optional(number, 3600)
    period_seconds              = optional(number, 300)
    evaluation_periods          = optional(number, 1)
  })
  default = {}
}

locals {
  account_id = var.account_id
  default_tags = merge(var.tags, {
    Environment = var.environment
    Application = var.application
    ManagedBy   = "terraform"
  })
}

module "pipeline" {
  source = "../../modules/pipeline"

  application  = var.application
  environment  = var.environment
  account_id   = local.account_id
  region       = var.aws_region
  webhook_zip  = coalesce(var.webhook_zip, "${path.root}/../../build/webhook_processor.zip")
  enricher_zip = coalesce(var.enricher_zip, "${path.root}/../../build/price_enricher.zip")

  kms_deletion_window_in_days  = var.kms_deletion_window_in_days
  tick_ttl_days                = var.tick_ttl_days
  log_retention_days           = var.log_retention_days
  log_level                    = var.log_level
  tracing_mode                 = var.tracing_mode
  table                        = var.table
  webhook                      = var.webhook
  enricher                     = var.enricher
  webhook_secret               = var.webhook_secret
  webhook_secret_initial_value = var.webhook_secret_initial_value
  alarms                       = var.alarms
  tags                         = var.tags
}

output "account_id" {
  description = "Account the environment is planned for."
  value       = local.account_id
}

output "region" {
  description = "Region of the environment."
  value       = var.aws_region
}

output "name_prefix" {
  description = "Prefix of every resource name."
  value       = module.pipeline.name_prefix
}

output "webhook_url" {
  description = "Function URL of the webhook."
  value       = module.pipeline.webhook_url
}

output "webhook_function_name" {
  description = "Webhook function name."
  value       = module.pipeline.webhook_function_name
}

output "enricher_function_name" {
  description = "Enricher function name."
  value       = module.pipeline.enricher_function_name
}

output "event_source_mapping_uuid" {
  description = "UUID of the enricher's stream mapping."
  value       = module.pipeline.event_source_mapping_uuid
}

output "table_name" {
  description = "Price table name."
  value       = module.pipeline.table_name
}

output "table_arn" {
  description = "Price table ARN."
  value       = module.pipeline.table_arn
}

output "stream_arn" {
  description = "Table stream ARN."
  value       = module.pipeline.stream_arn
}

output "topic_arn" {
  description = "Enriched-ticks topic ARN."
  value       = module.pipeline.topic_arn
}

output "alarm_topic_arn" {
  description = "Alarm topic ARN (null when alarms are off)."
  value       = module.pipeline.alarm_topic_arn
}

output "on_failure_queue_url" {
  description = "Enricher on-failure queue URL."
  value       = module.pipeline.on_failure_queue_url
}

output "on_failure_queue_arn" {
  description = "Enricher on-failure queue ARN."
  value       = module.pipeline.on_failure_queue_arn
}

output "webhook_secret_arn" {
  description = "Signing secret ARN."
  value       = module.pipeline.webhook_secret_arn
}

output "kms_key_arn" {
  description = "Pipeline KMS key ARN."
  value       = module.pipeline.kms_key_arn
}
