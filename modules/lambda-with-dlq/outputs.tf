output "function_name" {
  description = "Function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Function ARN."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "ARN for API Gateway integrations."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_managed" {
  description = "Whether the module created the execution role and attached its policies (false with `role_arn`: the module attached nothing to that role)."
  value       = local.create_role
}

output "role_name" {
  description = "Name of the execution role the module created, or null when `role_arn` brought one."
  value       = one(aws_iam_role.this[*].name)
}

output "role_arn" {
  description = "Execution role ARN: the module's, or `role_arn`."
  value       = local.role_arn
}

output "policy_json" {
  description = "The plan-time part of the permissions the function needs (logs, tracing, event sources, failure destinations, VPC, `policy_statements`): the module's inline policy, or what to attach to a role of your own."
  value       = data.aws_iam_policy_document.permissions.json
}

output "kms_policy_json" {
  description = "The KMS part of the permissions the function needs (the `kms` key, the event sources' keys), or null when there is none."
  value       = local.has_kms_policy ? jsonencode({ Version = "2012-10-17", Statement = local.kms_statements }) : null
}

output "log_group_name" {
  description = "Name of the function's log group: the module's, or `existing_log_group_name`."
  value       = local.own_log_group ? aws_cloudwatch_log_group.this[0].name : local.log_group_name
}

output "log_group_arn" {
  description = "ARN of the function's log group: the module's, or `existing_log_group_name`'s."
  value       = local.own_log_group ? aws_cloudwatch_log_group.this[0].arn : local.log_group_arn
}

output "version" {
  description = "The version this apply published (`publish = true`), else `$LATEST`."
  value       = aws_lambda_function.this.version
}

output "alias_arn" {
  description = "ARN of the alias, or null."
  value       = one(aws_lambda_alias.this[*].arn)
}

output "alias_invoke_arn" {
  description = "ARN of the alias for API Gateway integrations, or null."
  value       = one(aws_lambda_alias.this[*].invoke_arn)
}

output "alias_name" {
  description = "Name of the alias, or null."
  value       = one(aws_lambda_alias.this[*].name)
}

output "function_url" {
  description = "Function URL, or null."
  value       = one(aws_lambda_function_url.this[*].function_url)
}

output "event_source_mappings" {
  description = "Event source mappings by key: type, UUID, ARN and the on-failure queue (null for sqs sources, whose failures follow the queue's redrive policy)."
  value = {
    for key, m in aws_lambda_event_source_mapping.this : key => {
      type                 = local.sources[key].type
      uuid                 = m.uuid
      arn                  = m.arn
      on_failure_queue     = contains(keys(aws_sqs_queue.on_failure), key) ? aws_sqs_queue.on_failure[key].arn : null
      on_failure_queue_url = contains(keys(aws_sqs_queue.on_failure), key) ? aws_sqs_queue.on_failure[key].url : null
    }
  }
}

output "on_failure_queues" {
  description = "On-failure queues by stream source key: name, ARN and URL."
  value       = { for key, q in aws_sqs_queue.on_failure : key => { name = q.name, arn = q.arn, url = q.url } }
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping when the function has exactly one (see `event_source_mappings`), else null."
  value       = length(aws_lambda_event_source_mapping.this) == 1 ? one(values(aws_lambda_event_source_mapping.this)).uuid : null
}

output "event_source_mapping_arn" {
  description = "ARN of the event source mapping when the function has exactly one (see `event_source_mappings`), else null."
  value       = length(aws_lambda_event_source_mapping.this) == 1 ? one(values(aws_lambda_event_source_mapping.this)).arn : null
}

output "on_failure_queue_arn" {
  description = "ARN of the on-failure queue when the function has exactly one stream source (see `on_failure_queues`), else null."
  value       = length(aws_sqs_queue.on_failure) == 1 ? one(values(aws_sqs_queue.on_failure)).arn : null
}

output "on_failure_queue_name" {
  description = "Name of the on-failure queue when the function has exactly one stream source (see `on_failure_queues`), else null."
  value       = length(aws_sqs_queue.on_failure) == 1 ? one(values(aws_sqs_queue.on_failure)).name : null
}

output "on_failure_queue_url" {
  description = "URL of the on-failure queue when the function has exactly one stream source (see `on_failure_queues`), else null."
  value       = length(aws_sqs_queue.on_failure) == 1 ? one(values(aws_sqs_queue.on_failure)).url : null
}

output "async_dlq_arn" {
  description = "ARN of the dead-letter queue for asynchronous invocations, or null."
  value       = one(aws_sqs_queue.async_dlq[*].arn)
}

output "async_dlq_url" {
  description = "URL of the dead-letter queue for asynchronous invocations, or null."
  value       = one(aws_sqs_queue.async_dlq[*].url)
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms the module created."
  value       = [for key in sort(keys(aws_cloudwatch_metric_alarm.this)) : aws_cloudwatch_metric_alarm.this[key].alarm_name]
}

output "environment_variable_names_map" {
  description = "The environment variable names, as a map of name to name (values stay out of outputs)."
  value       = { for name in keys(var.environment_variables) : name => name }
}
