output "table_name" {
  description = "Table name."
  value       = try(aws_dynamodb_table.this.name, null)
}

output "table_arn" {
  description = "Table ARN."
  value       = try(aws_dynamodb_table.this.arn, null)
}

output "stream_arn" {
  description = "Latest stream ARN (the event source of the enricher)."
  value       = try(aws_dynamodb_table.this.stream_arn, null)
}

output "stream_label" {
  description = "Stream label (timestamp part of the stream ARN)."
  value       = try(aws_dynamodb_table.this.stream_label, null)
}

output "index_names" {
  description = "Names of the local secondary indexes."
  value       = [for i in var.local_secondary_indexes : i.name]
}
