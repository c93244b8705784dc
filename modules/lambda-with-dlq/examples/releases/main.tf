# Releases the way teams ship a Lambda: every apply publishes a version, the alias `live` points at it
# and is what callers use (the SQS mapping and the Function URL invoke the alias, never $LATEST), with
# provisioned concurrency on the alias. `canary_version` keeps a share of the traffic on an earlier
# version while the new one proves itself; `snap_start` trades provisioned concurrency for SnapStart.
resource "aws_sqs_queue" "orders" {
  name                       = "crypto-prices-example-orders"
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 60
}

module "service" {
  source = "../.."

  function_name        = "crypto-prices-example-releases"
  handler              = "price_enricher.handler.handler"
  filename             = var.filename
  runtime              = var.runtime
  timeout              = 10
  account_id           = var.account_id
  region               = var.region
  reserved_concurrency = var.reserved_concurrency

  publish                 = true
  snap_start              = var.snap_start
  provisioned_concurrency = var.provisioned_concurrency
  alias = {
    name             = "live"
    description      = "What callers invoke"
    function_version = var.function_version
    routing          = var.canary_version == null ? null : { version = var.canary_version, weight = var.canary_weight }
  }

  event_sources = {
    orders = {
      type                             = "sqs"
      arn                              = aws_sqs_queue.orders.arn
      arn_pattern                      = "arn:aws:sqs:${var.region}:${var.account_id}:crypto-prices-example-orders"
      queue_visibility_timeout_seconds = aws_sqs_queue.orders.visibility_timeout_seconds
    }
  }

  function_url = { authorization_type = "AWS_IAM" }
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

variable "function_version" {
  description = "Version the alias points at, or null for the one this apply publishes."
  type        = string
  default     = null
}

variable "canary_version" {
  description = "A second version that gets canary_weight of the invocations, or null."
  type        = string
  default     = null
}

variable "canary_weight" {
  description = "Share of the invocations for canary_version (0-1, exclusive)."
  type        = number
  default     = 0.1
}

variable "provisioned_concurrency" {
  description = "Environments kept initialised on the alias, or null."
  type        = number
  default     = 2
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions, or null."
  type        = number
  default     = 10
}

variable "snap_start" {
  description = "SnapStart on published versions (needs provisioned_concurrency = null)."
  type        = bool
  default     = false
}

output "version" {
  description = "The version this apply published."
  value       = module.service.version
}

output "alias_arn" {
  description = "The alias callers invoke."
  value       = module.service.alias_arn
}

output "function_url" {
  description = "The Function URL (of the alias)."
  value       = module.service.function_url
}
