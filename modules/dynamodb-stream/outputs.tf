output "table_name" {
  description = "Table name."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "Table ARN."
  value       = aws_dynamodb_table.this.arn
}

output "stream_arn" {
  description = "Latest stream ARN (the event source of the enricher), or null when `stream_enabled` is false."
  value       = var.stream_enabled ? aws_dynamodb_table.this.stream_arn : null
}

output "stream_label" {
  description = "Stream label (timestamp part of the stream ARN), or null when `stream_enabled` is false."
  value       = var.stream_enabled ? aws_dynamodb_table.this.stream_label : null
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
  value       = { for name in keys(var.global_secondary_indexes) : name => "${aws_dynamodb_table.this.arn}/index/${name}" }
}
