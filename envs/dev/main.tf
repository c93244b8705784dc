# The dev environment: modules/pipeline with the settings of settings.tf (rendered from
# config/dev.yaml by `make tfvars ENV=dev`). tests/terraform/test_tf_envs.py keeps the versions, the
# provider's shape and the module call the same in every root under envs/.

terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: bucket and region are in config/dev.backend.hcl, which make
  # plan/apply/destroy pass to init with key=envs/dev/terraform.tfstate (scripts/backend.py).
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = local.settings.region
  # Credentials of any other account fail the plan and the apply before anything is changed.
  allowed_account_ids = [local.settings.account_id]

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
