output "topic_arn" {
  description = "Topic ARN."
  value       = aws_sns_topic.this.arn
}

output "topic_name" {
  description = "Topic name."
  value       = aws_sns_topic.this.name
}

output "subscription_arns" {
  description = "ARN of each subscription, by its key in `subscriptions` (`pending confirmation` until an email or https endpoint confirms)."
  value       = { for name, s in aws_sns_topic_subscription.this : name => s.arn }
}
