output "key_arn" {
  description = "ARN of the key."
  value       = try(aws_kms_key.this.arn, null)
}

output "key_id" {
  description = "Id of the key."
  value       = try(aws_kms_key.this.key_id, null)
}

output "alias_name" {
  description = "Alias name (`alias/<name>`), for people and tools; IAM policies grant key use on the key ARN, never through the alias."
  value       = try(aws_kms_alias.this.name, null)
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = try(aws_kms_alias.this.arn, null)
}

output "policy_json" {
  description = "The key policy document."
  value       = try(data.aws_iam_policy_document.key.json, null)
}
