module "pipeline" {
  source = "../.."

  environment  = "example"
  account_id   = var.account_id
  region       = var.region
  webhook_zip  = var.webhook_zip
  enricher_zip = var.enricher_zip

  kms_deletion_window_in_days = 7
  tick_ttl_days               = var.tick_ttl_days
  log_retention_days          = 7
  table                       = { deletion_protection = false }
  webhook_secret              = { recovery_window_in_days = 0 }
  alarms                      = var.alarms
  webhook                     = var.webhook
  enricher                    = var.enricher
}

variable "webhook_zip" {
  description = "webhook_processor.zip"
  type        = string
}

variable "enricher_zip" {
  description = "price_enricher.zip"
  type        = string
}

variable "tick_ttl_days" {
  description = "Tick TTL in days."
  type        = number
  default     = 7
}

variable "alarms" {
  description = "Alarm settings."
  type = object({
    enabled                     = optional(bool, true)
    topic_arn                   = optional(string)
    queue_age_seconds_threshold = optional(number, 3600)
    runbook_url                 = optional(string) # null: the module's default, docs/runbook.md
  })
  default = {}
}

variable "webhook" {
  description = "Webhook settings (see modules/pipeline)."
  type = object({
    reserved_concurrency     = optional(number)
    secret_cache_ttl_seconds = optional(number, 300)
    max_batch_ticks          = optional(number)
  })
  default = {}
}

variable "enricher" {
  description = "Enricher settings (see modules/pipeline)."
  type = object({
    reserved_concurrency   = optional(number)
    parallelization_factor = optional(number, 1)
  })
  default = {}
}

output "webhook_url" {
  description = "Webhook URL."
  value       = module.pipeline.webhook_url
}

output "event_source_mapping_uuid" {
  description = "Mapping UUID."
  value       = module.pipeline.event_source_mapping_uuid
}

output "environment_variable_names" {
  description = "Environment variable names of both functions."
  value       = module.pipeline.environment_variable_names
}
