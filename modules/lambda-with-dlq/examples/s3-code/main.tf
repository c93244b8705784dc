# Code deployed from S3, as CI pipelines ship it: the build uploads the zip to a versioned bucket and the
# function names the object's version, so a new upload is a change Terraform sees and rolls out. Here
# the example uploads the zip itself; in a pipeline the bucket and the upload are the build's.
locals {
  # Known at plan time, so the module's validations see the bucket and the key.
  bucket = "crypto-prices-example-artifacts-${var.account_id}"
  key    = "price-enricher/price_enricher.zip"
}

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_18:An example's artifact bucket: access logs need a second bucket the example would only add for the scanner.
  #checkov:skip=CKV_AWS_144:Build artifacts are rebuilt from source; a cross-region copy protects nothing that is not in git.
  #checkov:skip=CKV_AWS_145:SSE-S3 (S3's default encryption) covers build artifacts; a CMK would add a key the example does not need.
  #checkov:skip=CKV2_AWS_62:No consumer of object events: the function is deployed by Terraform, not by an upload notification.
  #checkov:skip=CKV2_AWS_61:Old artifact versions stay until the example is destroyed (force_destroy); a pipeline sets its own expiry.
  bucket = local.bucket
  # Throw-away example: the bucket goes with its object versions on destroy.
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_object" "code" {
  bucket      = aws_s3_bucket.artifacts.id
  key         = local.key
  source      = var.filename
  source_hash = filemd5(var.filename)

  depends_on = [aws_s3_bucket_versioning.artifacts]
}

module "function" {
  source = "../.."

  function_name = "crypto-prices-example-s3-code"
  handler       = "price_enricher.handler.handler"
  filename      = var.also_local_zip ? var.filename : null
  s3_code = {
    bucket = local.bucket
    key    = var.key_override == null ? local.key : var.key_override
    # The object's version: a dependency on the upload, and a change whenever a new zip is uploaded.
    object_version = aws_s3_object.code.version_id
  }
  account_id = var.account_id
  region     = var.region
  tags       = local.tags
}

variable "filename" {
  description = "The zip to upload (any zip: the example only deploys it)."
  type        = string
}

variable "also_local_zip" {
  description = "Also pass the local zip (two code sources: refused)."
  type        = bool
  default     = false
}

variable "key_override" {
  description = "Another object key for the function, or null for the uploaded one."
  type        = string
  default     = null
}

output "function_name" {
  description = "The function."
  value       = module.function.function_name
}
