# Rendered from config/dev.yaml by `make tfvars ENV=dev`: edit the YAML, then re-render.
# main.tf passes each setting to modules/pipeline; one left out takes the module's default.
locals {
  settings = {
    environment                 = "dev"
    region                      = "us-east-1"
    account_id                  = "111111111111"
    kms_deletion_window_in_days = 7
    tick_ttl_days               = 30
    log_retention_days          = 14
    log_level                   = "DEBUG"
    tracing_mode                = "Active"
    table = {
      deletion_protection = false
    }
    webhook = {
      memory_size          = 256
      timeout              = 10
      reserved_concurrency = null
      url_auth_type        = "NONE"
    }
    enricher = {
      memory_size                        = 256
      timeout                            = 60
      reserved_concurrency               = null
      starting_position                  = "TRIM_HORIZON"
      maximum_batching_window_in_seconds = 1
      parallelization_factor             = 1
      maximum_retry_attempts             = 3
      maximum_record_age_in_seconds      = 3600
    }
    webhook_secret = {
      recovery_window_in_days = 7
    }
    alarms = {
      enabled = false
    }
    tags = {
      CostCenter = "crypto-dev"
    }
  }
}
