output "table_name" {
  description = "Table name."
  value       = local.table.name
}

output "table_arn" {
  description = "Table ARN."
  value       = local.table.arn
}

output "stream_arn" {
  description = "Latest stream ARN (the event source of the enricher), or null when `stream_enabled` is false."
  value       = var.stream_enabled ? local.table.stream_arn : null
}

output "stream_label" {
  description = "Stream label (timestamp part of the stream ARN), or null when `stream_enabled` is false."
  value       = var.stream_enabled ? local.table.stream_label : null
}

output "index_names" {
  description = "Names of the local secondary indexes."
  value       = [for i in var.local_secondary_indexes : i.name]
}

output "global_index_names" {
  description = "Names of the global secondary indexes, sorted."
  value       = sort(keys(var.global_secondary_indexes))
}

output "global_index_arns" {
  description = "ARN of each global secondary index, by name (`<table arn>/index/<name>`), for IAM policies that query it."
  value       = { for name in keys(var.global_secondary_indexes) : name => "${local.table.arn}/index/${name}" }
}

output "autoscaling_policy_arns" {
  description = "ARN of each target-tracking policy (`read`, `write`), empty without `autoscaling`."
  value       = { for k, p in aws_appautoscaling_policy.this : k => p.arn }
}
