output "topic_arn" {
  description = "Topic ARN."
  value       = try(aws_sns_topic.this.arn, null)
}

output "topic_name" {
  description = "Topic name."
  value       = try(aws_sns_topic.this.name, null)
}
