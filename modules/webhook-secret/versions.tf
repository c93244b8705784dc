terraform {
  # Write-only arguments (secret_string_wo) need Terraform 1.11 and provider 5.100.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
