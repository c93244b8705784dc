terraform {
  # 1.11: write-only arguments (the signing secret's first value stays out of state); S3 native
  # locking (use_lockfile) needs 1.10. ~> 5.100: the provider range the tests run against.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
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
