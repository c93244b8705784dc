terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # This root's own state stays on the machine that creates the bucket (scripts/state_bucket.py).
  backend "local" {}
}
