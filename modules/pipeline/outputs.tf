output "name_prefix" {
  description = "`<application>-<environment>`, the prefix of every resource name."
  value       = local.prefix
}

output "kms_key_arn" {
  description = "ARN of the pipeline's customer managed key."
  value       = module.kms.key_arn
}

output "kms_alias_name" {
  description = "Alias of the pipeline's key."
  value       = module.kms.alias_name
}

output "table_name" {
  description = "Price table name (TABLE_NAME)."
  value       = module.table.table_name
}

output "table_arn" {
  description = "Price table ARN."
  value       = module.table.table_arn
}

output "stream_arn" {
  description = "Table stream ARN (the enricher's event source)."
  value       = module.table.stream_arn
}

output "topic_arn" {
  description = "ARN of the enriched-ticks topic (TOPIC_ARN)."
  value       = module.topic.topic_arn
}

output "alarm_topic_arn" {
  description = "Topic the alarms notify, or null when alarms are off."
  value       = try(local.alarm_actions[0], null)
}

output "webhook_secret_arn" {
  description = "Signing secret ARN (WEBHOOK_SECRET_ARN)."
  value       = module.webhook_secret.secret_arn
}

output "webhook_function_name" {
  description = "Webhook function name."
  value       = module.webhook.function_name
}

output "webhook_url" {
  description = "Function URL receiving the signed ticks."
  value       = module.webhook.function_url
}

output "enricher_function_name" {
  description = "Enricher function name."
  value       = module.enricher.function_name
}

output "event_source_mapping_uuid" {
  description = "UUID of the enricher's stream mapping (the local runtime reads the mapping's settings from it)."
  value       = module.enricher.event_source_mapping_uuid
}

output "on_failure_queue_url" {
  description = "URL of the enricher's on-failure queue (scripts/redrive)."
  value       = module.enricher.on_failure_queue_url
}

output "on_failure_queue_arn" {
  description = "ARN of the enricher's on-failure queue."
  value       = module.enricher.on_failure_queue_arn
}

output "alarm_names" {
  description = "Names of all alarms."
  value = concat(
    module.webhook.alarm_names,
    module.enricher.alarm_names,
    [for key in sort(keys(aws_cloudwatch_metric_alarm.pipeline)) : aws_cloudwatch_metric_alarm.pipeline[key].alarm_name],
    [for key in sort(keys(aws_cloudwatch_metric_alarm.stalled)) : aws_cloudwatch_metric_alarm.stalled[key].alarm_name],
  )
}

output "environment_variable_names" {
  description = "Names of each function's environment variables (known at plan time even where a value is not)."
  value = {
    webhook  = sort(keys(local.webhook_environment))
    enricher = sort(keys(module.enricher.environment_variable_names_map))
  }
}

output "dashboard_name" {
  description = "Name of the pipeline's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.pipeline.dashboard_name
}

output "operator_policy_json" {
  description = "IAM policy for the operator's role: redrive (`make redrive ARGS=--aws`), `make smoke`, `make secret-rotate`/`secret-revoke`, on this environment's ARNs (docs/operations.md)."
  value       = data.aws_iam_policy_document.operator.json
}

output "webhook_secret_cache_ttl_seconds" {
  description = "Seconds a warm webhook may still accept a revoked signing secret (SECRET_CACHE_TTL_SECONDS; docs/operations.md)."
  value       = var.webhook.secret_cache_ttl_seconds
}
