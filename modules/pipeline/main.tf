locals {
  prefix     = "${var.application}-${var.environment}"
  arn_prefix = "arn:${var.partition}"
  # The price table's keys, stream view and TTL attribute: the handlers' contract
  # (docs/design.md), kept once in a file the Python tooling and tests read too.
  price_table = jsondecode(file("${path.module}/price_table.json"))

  tags = merge(var.tags, {
    Environment = var.environment
    Application = var.application
    ManagedBy   = "terraform"
  })

  table_name         = "${local.prefix}-ticks"
  provisioned_table  = var.table.capacity.mode == "provisioned"
  topic_name         = "${local.prefix}-enriched-ticks"
  alarm_topic_name   = "${local.prefix}-alarms"
  webhook_name       = "${local.prefix}-webhook"
  enricher_name      = "${local.prefix}-enricher"
  secret_name        = "${var.application}/${var.environment}/webhook-signing-secret"
  create_alarm_topic = var.alarms.enabled && var.alarms.topic_arn == null

  # ARNs built from names, so every IAM policy is fully known (and reviewable) at plan time.
  table_arn  = "${local.arn_prefix}:dynamodb:${var.region}:${var.account_id}:table/${local.table_name}"
  topic_arn  = "${local.arn_prefix}:sns:${var.region}:${var.account_id}:${local.topic_name}"
  secret_arn = coalesce(var.webhook_secret.existing_arn, "${local.arn_prefix}:secretsmanager:${var.region}:${var.account_id}:secret:${local.secret_name}-??????")

  # Powertools' EMF metrics: namespace POWERTOOLS_METRICS_NAMESPACE, dimension service = POWERTOOLS_SERVICE_NAME.
  metrics_namespace = var.application
  webhook_service   = "webhook_processor"
  enricher_service  = "price_enricher"

  webhook_environment = merge(local.powertools, {
    POWERTOOLS_SERVICE_NAME = local.webhook_service
    TABLE_NAME              = local.table_name
    WEBHOOK_SECRET_ARN      = "" # replaced by the secret's ARN below
    TICK_TTL_DAYS           = tostring(var.tick_ttl_days)
    # How long a rotated-out or deleted signing secret can still be accepted by a warm container.
    SECRET_CACHE_TTL_SECONDS = tostring(var.webhook.secret_cache_ttl_seconds)
    CLAIM_TTL_DAYS           = tostring(var.webhook.claim_ttl_days)
    SUCCESS_LOG_EVERY        = tostring(var.webhook.success_log_every)
    }, var.webhook.max_body_bytes == null ? {} : {
    MAX_BODY_BYTES = tostring(var.webhook.max_body_bytes)
    }, var.webhook.max_batch_ticks == null ? {} : {
    MAX_BATCH_TICKS = tostring(var.webhook.max_batch_ticks)
  })

  # JSON format only when a system log level is asked for: Text keeps Lambda's default lines.
  logging_config = var.system_log_level == null ? null : { log_format = "JSON", system_log_level = var.system_log_level }

  powertools = {
    POWERTOOLS_LOG_LEVEL         = var.log_level
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
  }
}

module "kms" {
  source = "../kms"

  name                    = local.prefix
  description             = "${local.prefix}: table, stream, topic, queues, secret, logs and function environment"
  account_id              = var.account_id
  region                  = var.region
  partition               = var.partition
  deletion_window_in_days = var.kms_deletion_window_in_days
  # CloudWatch alarms publish to the encrypted alarm topic.
  service_principals    = var.alarms.enabled ? ["logs", "cloudwatch"] : ["logs"]
  log_group_name_prefix = "/aws/lambda/${local.prefix}-"
  tags                  = local.tags
}

module "table" {
  source = "../dynamodb-stream"

  name        = local.table_name
  kms_key_arn = module.kms.key_arn
  # Point-in-time recovery in every environment: ticks are data. Provisioned capacity is always
  # autoscaled, never fixed: a steady feed still drifts.
  billing_mode           = local.provisioned_table ? "PROVISIONED" : "PAY_PER_REQUEST"
  autoscaling            = local.provisioned_table ? { read = var.table.capacity.read, write = var.table.capacity.write, target_utilization = var.table.capacity.target_utilization } : null
  point_in_time_recovery = true
  table_class            = var.table.table_class
  deletion_protection    = var.table.deletion_protection
  # Always on: request claims (sk "r#...") carry a TTL of minutes whatever tick_ttl_days is.
  ttl_attribute    = local.price_table.ttl_attribute
  hash_key         = local.price_table.hash_key
  range_key        = local.price_table.range_key
  stream_view_type = local.price_table.stream_view_type
  tags             = local.tags
}

module "webhook_secret" {
  source = "../webhook-secret"

  name                    = local.secret_name
  kms_key_arn             = module.kms.key_arn
  recovery_window_in_days = var.webhook_secret.recovery_window_in_days
  existing_secret_arn     = var.webhook_secret.existing_arn
  initial_value           = var.webhook_secret_initial_value
  tags                    = local.tags
}

module "topic" {
  source = "../notifications"

  name                = local.topic_name
  display_name        = "${local.prefix} enriched ticks"
  kms_key_arn         = module.kms.key_arn
  account_id          = var.account_id
  partition           = var.partition
  publisher_role_arns = [module.enricher.role_arn]
  tags                = local.tags
}

module "alarm_topic" {
  source = "../notifications"
  count  = local.create_alarm_topic ? 1 : 0

  name                    = local.alarm_topic_name
  display_name            = "${local.prefix} alarms"
  kms_key_arn             = module.kms.key_arn
  account_id              = var.account_id
  partition               = var.partition
  allow_cloudwatch_alarms = true
  tags                    = local.tags
}

locals {
  alarm_actions = var.alarms.enabled ? [coalesce(var.alarms.topic_arn, try(module.alarm_topic[0].topic_arn, null))] : []
  alarms = {
    enabled                     = var.alarms.enabled
    actions                     = local.alarm_actions
    errors_threshold            = var.alarms.errors_threshold
    throttles_threshold         = var.alarms.throttles_threshold
    iterator_age_ms_threshold   = var.alarms.iterator_age_ms_threshold
    queue_depth_threshold       = var.alarms.queue_depth_threshold
    queue_age_seconds_threshold = var.alarms.queue_age_seconds_threshold
    period_seconds              = var.alarms.period_seconds
    evaluation_periods          = var.alarms.evaluation_periods
    runbook_url                 = var.alarms.runbook_url
  }
}

module "webhook" {
  source = "../lambda-with-dlq"

  function_name        = local.webhook_name
  description          = "Verifies HMAC-signed price ticks and stores them (${var.environment})"
  handler              = "webhook_processor.handler.handler"
  filename             = var.webhook_zip
  memory_size          = var.webhook.memory_size
  timeout              = var.webhook.timeout
  reserved_concurrency = var.webhook.reserved_concurrency
  tracing_mode         = var.tracing_mode
  log_retention_days   = var.log_retention_days
  logging_config       = local.logging_config
  kms                  = { key_arn = module.kms.key_arn, actions = ["kms:Decrypt"] }
  account_id           = var.account_id
  region               = var.region
  partition            = var.partition

  # A for expression (not merge) keeps the map known at plan time with only the secret ARN unknown.
  environment_variables = {
    for name, value in local.webhook_environment : name => name == "WEBHOOK_SECRET_ARN" ? module.webhook_secret.secret_arn : value
  }

  policy_statements = {
    ReadSigningSecret = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [local.secret_arn]
    }
    StoreTicks = {
      # PutItem alone: an event-id takeover's TransactWriteItems holds Puts only (store.py).
      actions   = ["dynamodb:PutItem"]
      resources = [local.table_arn]
    }
  }

  # Invoked synchronously through the URL: no async DLQ, it would never receive anything.
  function_url = { authorization_type = var.webhook.url_auth_type }
  alarms       = local.alarms
  tags         = local.tags
}

module "enricher" {
  source = "../lambda-with-dlq"

  function_name        = local.enricher_name
  description          = "Computes indicators for inserted ticks and publishes them (${var.environment})"
  handler              = "price_enricher.handler.handler"
  filename             = var.enricher_zip
  memory_size          = var.enricher.memory_size
  timeout              = var.enricher.timeout
  reserved_concurrency = var.enricher.reserved_concurrency
  tracing_mode         = var.tracing_mode
  log_retention_days   = var.log_retention_days
  logging_config       = local.logging_config
  # Decrypt: environment, table, stream; GenerateDataKey: publish to the encrypted topic and on-failure queue.
  kms        = { key_arn = module.kms.key_arn, actions = ["kms:Decrypt", "kms:GenerateDataKey"] }
  account_id = var.account_id
  region     = var.region
  partition  = var.partition

  environment_variables = merge(local.powertools, {
    POWERTOOLS_SERVICE_NAME = local.enricher_service
    TABLE_NAME              = local.table_name
    TOPIC_ARN               = local.topic_arn
  })

  policy_statements = {
    QueryHistory = {
      actions   = ["dynamodb:Query"]
      resources = [local.table_arn]
    }
    WriteIndicators = {
      actions   = ["dynamodb:UpdateItem"]
      resources = [local.table_arn]
    }
    PublishEnrichedTicks = {
      actions   = ["sns:Publish"]
      resources = [local.topic_arn]
    }
  }

  # Polled by an event source mapping: failures go to the mapping's on-failure queue, not to a DLQ.
  stream_source = {
    event_source_arn                   = module.table.stream_arn
    stream_arn_pattern                 = "${local.table_arn}/stream/*"
    starting_position                  = var.enricher.starting_position
    batch_size                         = var.enricher.batch_size
    maximum_batching_window_in_seconds = var.enricher.maximum_batching_window_in_seconds
    parallelization_factor             = var.enricher.parallelization_factor
    bisect_batch_on_function_error     = true
    maximum_retry_attempts             = var.enricher.maximum_retry_attempts
    maximum_record_age_in_seconds      = var.enricher.maximum_record_age_in_seconds
    report_batch_item_failures         = true
    # Tick INSERTs only: the enricher's own UpdateItem emits MODIFY records, event-id
    # claims (sk "e#...") carry nothing to enrich, and a tombstone (a tick key marked
    # tombstone_for, left by an event-id takeover: docs/design.md) holds no tick. A malformed
    # tick row still passes, so the enricher fails it loudly into the on-failure queue.
    filter_patterns = [jsonencode({
      eventName = ["INSERT"]
      dynamodb = {
        Keys     = { sk = { S = [{ prefix = "t#" }] } }
        NewImage = { tombstone_for = { S = [{ exists = false }] } }
      }
    })]
  }

  alarms = local.alarms
  tags   = local.tags
}
