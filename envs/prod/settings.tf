# Rendered from config/prod.yaml by `make tfvars ENV=prod`: edit the YAML, then re-render.
# main.tf passes each setting to modules/pipeline; one left out takes the module's default.
locals {
  settings = {
    environment                 = "prod"
    region                      = "us-east-1"
    account_id                  = "333333333333"
    kms_deletion_window_in_days = 30
    tick_ttl_days               = 365
    log_retention_days          = 365
    log_level                   = "INFO"
    tracing_mode                = "PassThrough"
    system_log_level            = "WARN"
    table = {
      deletion_protection = true
      table_class         = "STANDARD_INFREQUENT_ACCESS"
      capacity = {
        mode = "provisioned"
        read = {
          min = 5
          max = 2000
        }
        write = {
          min = 50
          max = 10000
        }
        target_utilization = 70
      }
    }
    webhook = {
      memory_size          = 512
      timeout              = 10
      reserved_concurrency = 50
      url_auth_type        = "NONE"
      claim_ttl_days       = 7
      success_log_every    = 100
    }
    enricher = {
      memory_size                        = 512
      timeout                            = 60
      reserved_concurrency               = 10
      starting_position                  = "TRIM_HORIZON"
      maximum_batching_window_in_seconds = 1
      parallelization_factor             = 2
      maximum_retry_attempts             = 10
      maximum_record_age_in_seconds      = 21600
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
      CostCenter = "crypto-prod"
    }
  }
}
