# Every variable with a default is `nullable = false`: null (a setting an environment leaves out,
# passed as `try(local.settings.<name>, null)` by envs/<env>/main.tf) means the default.

variable "application" {
  description = "Application name: the first part of every resource name and the `Application` tag."
  type        = string
  default     = "crypto-prices"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.application))
    error_message = "application must be 2-20 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, local, ...): part of every resource name and the `Environment` tag."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "account_id" {
  description = "AWS account id (12 digits) the pipeline is deployed to."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "region" {
  description = "AWS region."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like eu-west-1."
  }
}

variable "partition" {
  description = "AWS partition."
  type        = string
  default     = "aws"
  nullable    = false

  validation {
    condition     = contains(["aws", "aws-cn", "aws-us-gov"], var.partition)
    error_message = "partition must be one of aws, aws-cn, aws-us-gov."
  }
}

variable "webhook_zip" {
  description = "Path of `webhook_processor.zip` (scripts/package.py)."
  type        = string
}

variable "enricher_zip" {
  description = "Path of `price_enricher.zip` (scripts/package.py)."
  type        = string
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period of a scheduled deletion of the pipeline's KMS key (7-30)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be from 7 to 30."
  }
}

variable "table" {
  description = <<-EOT
    Price table settings; point-in-time recovery is always on. `capacity.mode`: `on_demand` (default,
    PAY_PER_REQUEST: pays per request, absorbs any burst up to the table's quota) or `provisioned`
    (PROVISIONED with Application Auto Scaling: `read` and `write` capacity units between `min` and
    `max`, tracked at `target_utilization` percent, 20-90; cheaper per write for a steady feed, but a
    burst above the provisioned capacity and its burst credit is throttled until the scaler adds
    capacity, minutes later: the webhook answers 503 and the sender retries, the enricher's records are
    retried by the event source mapping). `make bench` prices both (docs/bench.md). Switching an
    existing table's mode moves its Terraform address (modules/dynamodb-stream/README.md).
  EOT
  type = object({
    table_class         = optional(string, "STANDARD")
    deletion_protection = optional(bool, true)
    capacity = optional(object({
      mode               = optional(string, "on_demand")
      read               = optional(object({ min = optional(number, 5), max = optional(number, 1000) }), {})
      write              = optional(object({ min = optional(number, 5), max = optional(number, 4000) }), {})
      target_utilization = optional(number, 70)
    }), {})
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["on_demand", "provisioned"], var.table.capacity.mode)
    error_message = "table.capacity.mode must be on_demand or provisioned."
  }

  validation {
    condition     = contains(["STANDARD", "STANDARD_INFREQUENT_ACCESS"], var.table.table_class)
    error_message = "table.table_class must be STANDARD or STANDARD_INFREQUENT_ACCESS."
  }
}

variable "tick_ttl_days" {
  description = "Days a tick is kept (the webhook's TICK_TTL_DAYS); 0 keeps ticks forever. DynamoDB TTL (`expires_at`) is on either way: request claims expire with the signature window."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.tick_ttl_days >= 0 && var.tick_ttl_days <= 3650 && floor(var.tick_ttl_days) == var.tick_ttl_days
    error_message = "tick_ttl_days must be a whole number from 0 to 3650."
  }
}

variable "log_retention_days" {
  description = "Retention of both functions' log groups (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of both functions."
  type        = string
  default     = "INFO"
  nullable    = false

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "system_log_level" {
  description = "Lambda's own log lines of both functions: null keeps Lambda's default (Text format, a START, END and REPORT line per invocation); DEBUG, INFO or WARN switch to the JSON log format with system logs at that level. WARN drops the three per-invocation lines (duration and memory stay in CloudWatch's Lambda metrics); Powertools' lines and EMF metrics are JSON either way."
  type        = string
  default     = null

  validation {
    condition     = var.system_log_level == null || contains(["DEBUG", "INFO", "WARN"], coalesce(var.system_log_level, "INFO"))
    error_message = "system_log_level must be null, DEBUG, INFO or WARN."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode of both functions."
  type        = string
  default     = "Active"
  nullable    = false

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "webhook" {
  description = "Webhook function (Function URL, HMAC-verified in the handler). `reserved_concurrency` null (default) leaves it unreserved; set it to cap what the public URL can consume. `max_body_bytes` and `max_batch_ticks` (ticks per batch request) null keep the handler's defaults (docs/senders.md). `claim_ttl_days`: days an `event_id` claim is kept (cover your senders' redelivery window; docs/bench.md). `success_log_every`: one \"Tick accepted\" line per N accepted ticks (1: every one); the TicksStored/TicksDuplicate metrics count them all, and every rejected or failed request is logged."
  type = object({
    memory_size              = optional(number, 256)
    timeout                  = optional(number, 10)
    reserved_concurrency     = optional(number)
    max_body_bytes           = optional(number)
    max_batch_ticks          = optional(number)
    url_auth_type            = optional(string, "NONE")
    secret_cache_ttl_seconds = optional(number, 300)
    claim_ttl_days           = optional(number, 7)
    success_log_every        = optional(number, 1)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.webhook.claim_ttl_days >= 1 && var.webhook.claim_ttl_days <= 3650 && floor(var.webhook.claim_ttl_days) == var.webhook.claim_ttl_days
    error_message = "webhook.claim_ttl_days must be a whole number from 1 to 3650: the days an event_id claim is kept, longer than any sender's redelivery window (never longer than tick_ttl_days when that is set)."
  }

  validation {
    condition     = var.webhook.success_log_every >= 1 && var.webhook.success_log_every <= 1000000 && floor(var.webhook.success_log_every) == var.webhook.success_log_every
    error_message = "webhook.success_log_every must be a whole number from 1 (a line per accepted tick) to 1000000; rejected and failed requests are always logged."
  }

  validation {
    condition     = contains(["NONE", "AWS_IAM"], var.webhook.url_auth_type)
    error_message = "webhook.url_auth_type must be NONE (public, HMAC in the handler) or AWS_IAM."
  }

  validation {
    condition     = var.webhook.max_body_bytes == null || try(var.webhook.max_body_bytes >= 256 && var.webhook.max_body_bytes <= 1048576, false)
    error_message = "webhook.max_body_bytes must be from 256 to 1048576 (the range the webhook handler accepts; a tick is a few hundred bytes)."
  }

  validation {
    condition     = var.webhook.max_batch_ticks == null || try(var.webhook.max_batch_ticks >= 1 && var.webhook.max_batch_ticks <= 1000 && floor(var.webhook.max_batch_ticks) == var.webhook.max_batch_ticks, false)
    error_message = "webhook.max_batch_ticks must be a whole number from 1 to 1000 (the range the webhook handler accepts; a batch must also fit in max_body_bytes)."
  }

  validation {
    condition     = var.webhook.secret_cache_ttl_seconds >= 10 && var.webhook.secret_cache_ttl_seconds <= 3600 && floor(var.webhook.secret_cache_ttl_seconds) == var.webhook.secret_cache_ttl_seconds
    error_message = "webhook.secret_cache_ttl_seconds must be a whole number from 10 to 3600 (the range the webhook handler accepts)."
  }
}

variable "enricher" {
  description = "Enricher function and its DynamoDB stream mapping. `reserved_concurrency` null (default) leaves it unreserved."
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
  default  = {}
  nullable = false

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.enricher.starting_position)
    error_message = "enricher.starting_position must be TRIM_HORIZON or LATEST."
  }

  validation {
    condition     = var.enricher.batch_size >= 1 && var.enricher.batch_size <= 10000 && var.enricher.maximum_batching_window_in_seconds >= 0 && var.enricher.maximum_batching_window_in_seconds <= 300
    error_message = "enricher.batch_size must be from 1 to 10000 and maximum_batching_window_in_seconds from 0 to 300."
  }

  validation {
    condition     = var.enricher.maximum_retry_attempts >= -1 && var.enricher.maximum_retry_attempts <= 10000 && (var.enricher.maximum_record_age_in_seconds == -1 || (var.enricher.maximum_record_age_in_seconds >= 60 && var.enricher.maximum_record_age_in_seconds <= 604800))
    error_message = "enricher.maximum_retry_attempts must be from -1 to 10000 and maximum_record_age_in_seconds -1 or from 60 to 604800."
  }

  validation {
    condition     = var.enricher.reserved_concurrency == null || try(var.enricher.reserved_concurrency >= var.enricher.parallelization_factor, false)
    error_message = "enricher.reserved_concurrency must be null (unreserved) or at least parallelization_factor (one concurrent batch per shard and factor)."
  }
}

variable "webhook_secret" {
  description = "Signing secret: created with a placeholder (default) or an existing secret's ARN."
  type = object({
    recovery_window_in_days = optional(number, 30)
    existing_arn            = optional(string)
  })
  default  = {}
  nullable = false
}

variable "webhook_secret_initial_value" {
  description = "First value of the created secret (e.g. a known test key); null for an unguessable placeholder. Ephemeral: never in plan or state."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true
}

variable "alarms" {
  description = <<-EOT
    CloudWatch alarms (modules/lambda-with-dlq/alarms.tf and alarms.tf here): both functions' errors and
    throttles, webhook URL 5xx, enricher iterator age, records failed (its own metric), on-failure queue
    depth and age, table write throttles, and a stalled mapping (ticks stored, no enricher invocation).
    Without `topic_arn` the pipeline creates an encrypted alarm topic. Each description ends with
    `Runbook: <runbook_url>#<section>` (docs/runbook.md; set the URL your operators open).
  EOT
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
    runbook_url                 = optional(string, "docs/runbook.md")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.alarms.topic_arn == null || can(regex("^arn:[a-z-]+:sns:", var.alarms.topic_arn))
    error_message = "alarms.topic_arn must be an SNS topic ARN."
  }

  validation {
    condition     = var.alarms.errors_threshold >= 1 && var.alarms.throttles_threshold >= 1 && var.alarms.queue_depth_threshold >= 1 && var.alarms.iterator_age_ms_threshold >= 1000
    error_message = "alarms.errors_threshold, throttles_threshold and queue_depth_threshold must be at least 1 and iterator_age_ms_threshold at least 1000 (ms)."
  }

  validation {
    condition     = var.alarms.queue_age_seconds_threshold >= 60 && var.alarms.queue_age_seconds_threshold <= 1209600
    error_message = "alarms.queue_age_seconds_threshold must be from 60 to 1209600 (the queue's longest retention)."
  }

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarms.period_seconds) && var.alarms.evaluation_periods >= 1 && var.alarms.evaluation_periods <= 24
    error_message = "alarms.period_seconds must be 60, 300, 900 or 3600 and evaluation_periods from 1 to 24."
  }

  validation {
    condition     = length(var.alarms.runbook_url) > 0 && length(var.alarms.runbook_url) <= 512 && !strcontains(var.alarms.runbook_url, "#")
    error_message = "alarms.runbook_url must be 1 to 512 characters without \"#\": each alarm's description appends #<its section> of docs/runbook.md."
  }
}

variable "tags" {
  description = "Extra tags; Environment, Application and ManagedBy are always set."
  type        = map(string)
  default     = {}
  nullable    = false
}
