# The local environment: modules/pipeline on a moto server (`make local`), with the settings of
# settings.tf (rendered from config/local.yaml by `make tfvars ENV=local`). tests/terraform/test_tf_envs.py
# keeps the versions and the module call the same in every root under envs/.

terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # State stays on the machine: this environment lives on a local moto server.
  backend "local" {}
}

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
  region                      = local.settings.region
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
    tags = merge(try(local.settings.tags, {}), {
      Environment = local.settings.environment
      ManagedBy   = "terraform"
    })
  }
}

variable "build_dir" {
  description = "Folder holding webhook_processor.zip and price_enricher.zip (`make package`); null: <repo>/build."
  type        = string
  default     = null
}

module "pipeline" {
  source = "../../modules/pipeline"

  webhook_zip  = "${coalesce(var.build_dir, "${path.root}/../../build")}/webhook_processor.zip"
  enricher_zip = "${coalesce(var.build_dir, "${path.root}/../../build")}/price_enricher.zip"

  # settings.tf, rendered from config/<env>.yaml. A setting the file leaves out is null here, and
  # the module's variables (nullable = false) take their default: limits and defaults live there only.
  environment                 = local.settings.environment
  region                      = local.settings.region
  account_id                  = local.settings.account_id
  application                 = try(local.settings.application, null)
  partition                   = try(local.settings.partition, null)
  kms_deletion_window_in_days = try(local.settings.kms_deletion_window_in_days, null)
  table                       = try(local.settings.table, null)
  tick_ttl_days               = try(local.settings.tick_ttl_days, null)
  log_retention_days          = try(local.settings.log_retention_days, null)
  log_level                   = try(local.settings.log_level, null)
  tracing_mode                = try(local.settings.tracing_mode, null)
  system_log_level            = try(local.settings.system_log_level, null)
  webhook                     = try(local.settings.webhook, null)
  enricher                    = try(local.settings.enricher, null)
  webhook_secret              = try(local.settings.webhook_secret, null)
  alarms                      = try(local.settings.alarms, null)
  tags                        = try(local.settings.tags, null)
}

output "pipeline" {
  description = "Every output of modules/pipeline (listed in its README): `terraform output -json pipeline`."
  value       = module.pipeline
}
