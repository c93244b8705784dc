# Rendered from config/staging.yaml by `make tfvars ENV=staging`: edit the YAML, then re-render.
# main.tf passes each setting to modules/pipeline; one left out takes the module's default.
locals {
  settings = {
    environment                 = "staging"
    region                      = "us-east-1"
    account_id                  = "222222222222"
    kms_deletion_window_in_days = 30
    tick_ttl_days               = 90
    log_retention_days          = 30
    log_level                   = "INFO"
    tracing_mode                = "Active"
    table = {
      deletion_protection = true
    }
    webhook = {
      memory_size          = 256
      timeout              = 10
      reserved_concurrency = 10
      url_auth_type        = "NONE"
    }
    enricher = {
      memory_size                        = 256
      timeout                            = 60
      reserved_concurrency               = 5
      starting_position                  = "TRIM_HORIZON"
      maximum_batching_window_in_seconds = 1
      parallelization_factor             = 1
      maximum_retry_attempts             = 5
      maximum_record_age_in_seconds      = 3600
    }
    webhook_secret = {
      recovery_window_in_days = 30
    }
    alarms = {
      enabled                   = true
      errors_threshold          = 1
      iterator_age_ms_threshold = 60000
      queue_depth_threshold     = 1
      period_seconds            = 300
      evaluation_periods        = 1
    }
    tags = {
      CostCenter = "crypto-staging"
    }
  }
}
