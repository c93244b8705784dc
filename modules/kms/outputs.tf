output "key_arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "Id of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias name (`alias/<name>`), for people and tools; IAM policies grant key use on the key ARN, never through the alias."
  value       = aws_kms_alias.this.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = aws_kms_alias.this.arn
}

output "policy_json" {
  description = "The key policy document."
  value       = data.aws_iam_policy_document.key.json
}
