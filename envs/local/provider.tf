variable "moto_endpoint" {
  description = "URL of the moto server every AWS endpoint points to."
  type        = string
  default     = "http://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://", var.moto_endpoint))
    error_message = "moto_endpoint must be an http(s) URL."
  }
}

variable "moto_access_key" {
  description = "Access key moto accepts (any value; not an AWS credential)."
  type        = string
  default     = "testing"
}

variable "moto_secret_key" {
  description = "Secret key moto accepts (any value; not an AWS credential)."
  type        = string
  default     = "testing"
}

provider "aws" {
  region                      = var.aws_region
  access_key                  = var.moto_access_key
  secret_key                  = var.moto_secret_key
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    cloudwatch     = var.moto_endpoint
    dynamodb       = var.moto_endpoint
    iam            = var.moto_endpoint
    kms            = var.moto_endpoint
    lambda         = var.moto_endpoint
    logs           = var.moto_endpoint
    s3             = var.moto_endpoint
    secretsmanager = var.moto_endpoint
    sns            = var.moto_endpoint
    sqs            = var.moto_endpoint
    sts            = var.moto_endpoint
  }

  default_tags {
    tags = local.default_tags
  }
}
