# Shared by dev, staging and prod (symlinked as envs/<env>/provider.tf); envs/local has its own.
provider "aws" {
  region = var.aws_region
  # Credentials of any other account fail the plan and the apply before anything is changed. An
  # offline plan has no credentials to check (skip_requesting_account_id), so the guard is off there.
  allowed_account_ids = var.offline_plan ? null : [var.account_id]

  # offline_plan (scripts/plan.py without credentials): no STS, no metadata API, fake credentials.
  skip_credentials_validation = var.offline_plan
  skip_requesting_account_id  = var.offline_plan
  skip_metadata_api_check     = var.offline_plan

  default_tags {
    tags = local.default_tags
  }
}
