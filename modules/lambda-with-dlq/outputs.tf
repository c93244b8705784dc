output "function_name" {
  description = "Function name."
  value       = try(aws_lambda_function.this.function_name, null)
}

output "function_arn" {
  description = "Function ARN."
  value       = try(aws_lambda_function.this.arn, null)
}

output "invoke_arn" {
  description = "ARN for API Gateway integrations."
  value       = try(aws_lambda_function.this.invoke_arn, null)
}

output "role_name" {
  description = "Execution role name."
  value       = try(aws_iam_role.this.name, null)
}

output "role_arn" {
  description = "Execution role ARN."
  value       = try(aws_iam_role.this.arn, null)
}

output "policy_json" {
  description = "The execution role's inline policy (known at plan time when every resource ARN is)."
  value       = try(data.aws_iam_policy_document.permissions.json, null)
}

output "log_group_name" {
  description = "Log group name."
  value       = try(aws_cloudwatch_log_group.this.name, null)
}

output "log_group_arn" {
  description = "Log group ARN."
  value       = try(aws_cloudwatch_log_group.this.arn, null)
}

output "function_url" {
  description = "Function URL, or null."
  value       = try(aws_lambda_function_url.this[0].function_url, null)
}

output "event_source_mapping_uuid" {
  description = "UUID of the stream event source mapping, or null."
  value       = try(aws_lambda_event_source_mapping.stream[0].uuid, null)
}

output "event_source_mapping_arn" {
  description = "ARN of the stream event source mapping, or null."
  value       = try(aws_lambda_event_source_mapping.stream[0].arn, null)
}

output "on_failure_queue_arn" {
  description = "ARN of the stream on-failure queue, or null."
  value       = try(aws_sqs_queue.on_failure[0].arn, null)
}

output "on_failure_queue_name" {
  description = "Name of the stream on-failure queue, or null."
  value       = try(aws_sqs_queue.on_failure[0].name, null)
}

output "on_failure_queue_url" {
  description = "URL of the stream on-failure queue, or null."
  value       = try(aws_sqs_queue.on_failure[0].url, null)
}

output "async_dlq_arn" {
  description = "ARN of the dead-letter queue for asynchronous invocations, or null."
  value       = try(aws_sqs_queue.async_dlq[0].arn, null)
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms the module created."
  value       = [for key in sort(keys(aws_cloudwatch_metric_alarm.this)) : aws_cloudwatch_metric_alarm.this[key].alarm_name]
}

output "environment_variable_names_map" {
  description = "The environment variable names, as a map of name to name (values stay out of outputs)."
  value       = { for name in keys(var.environment_variables) : name => name }
}
