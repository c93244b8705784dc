# A function behind a Function URL: the caller gets the answer, and the error, synchronously, so there is
# no queue to hold failures. Shows the runtime, logging, storage and network settings, and a role
# brought by the caller (role_arn: the module then attaches nothing to it).
module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-url-function"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  log_group_name_prefix   = "/aws/lambda/crypto-prices-example-"
  tags                    = local.tags
}

module "api" {
  source = "../.."

  function_name          = "crypto-prices-example-url-function"
  description            = "Answers HTTPS requests on its Function URL"
  handler                = "webhook_processor.handler.handler"
  filename               = var.filename
  runtime                = var.runtime
  architecture           = var.architecture
  memory_size            = 512
  timeout                = 10
  ephemeral_storage_size = var.ephemeral_storage_size
  reserved_concurrency   = 5
  kms                    = { key_arn = module.kms.key_arn }
  account_id             = var.account_id
  region                 = var.region
  role_arn               = var.role_arn
  permissions_boundary   = var.permissions_boundary
  vpc_config             = var.vpc_config
  layers                 = var.layers

  logging_config = {
    log_format            = "JSON"
    application_log_level = var.application_log_level
    system_log_level      = "WARN"
  }

  function_url = { authorization_type = var.authorization_type }
  alarms       = { enabled = true }
  tags         = local.tags
}

variable "filename" {
  description = "Deployment zip (any zip: the example only deploys it)."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.13"
}

variable "architecture" {
  description = "arm64 or x86_64."
  type        = string
  default     = "arm64"
}

variable "ephemeral_storage_size" {
  description = "Size of /tmp in MB."
  type        = number
  default     = 1024
}

variable "application_log_level" {
  description = "Level of the function's own JSON logs."
  type        = string
  default     = "INFO"
}

variable "authorization_type" {
  description = "Function URL auth type."
  type        = string
  default     = "AWS_IAM"
}

variable "role_arn" {
  description = "A role of your own, or null for the module's."
  type        = string
  default     = null
}

variable "permissions_boundary" {
  description = "Permissions boundary of the module's role, or null."
  type        = string
  default     = null
}

variable "layers" {
  description = "Layer version ARNs."
  type        = list(string)
  default     = []
}

variable "vpc_config" {
  description = "Subnets and security groups, or null."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

output "function_url" {
  description = "The Function URL."
  value       = module.api.function_url
}

output "role_managed" {
  description = "Whether the module created the role."
  value       = module.api.role_managed
}

output "policy_json" {
  description = "What the function's role needs (attached by the module only when it created the role)."
  value       = module.api.policy_json
}
