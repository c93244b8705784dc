terraform {
  # S3 native state locking (use_lockfile) needs Terraform 1.10.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # Skipped by `terraform init -backend=false` (tests, offline plans). Override per account with
  # `terraform init -backend-config="bucket=..."`.
  backend "s3" {
    bucket       = "crypto-prices-terraform-state"
    key          = "envs/prod/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
