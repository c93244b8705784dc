provider "aws" {
  region = var.region

  # Examples plan without AWS access (tests use fake credentials); they apply with real ones as well.
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true

  default_tags {
    tags = {
      Environment = "example"
      Application = "crypto-prices"
      ManagedBy   = "terraform"
    }
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "AWS account id."
  type        = string
  default     = "123456789012"
}

locals {
  tags = {
    Environment = "example"
    Application = "crypto-prices"
    ManagedBy   = "terraform"
  }
}
