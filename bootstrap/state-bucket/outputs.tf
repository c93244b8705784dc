output "bucket" {
  description = "The state bucket, ready for `terraform init -backend-config`."
  value       = aws_s3_bucket.state.id
}
