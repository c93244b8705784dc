# A PROVISIONED table whose read and write capacity Application Auto Scaling tracks at a target
# utilisation: cheaper per request than on demand for a steady feed.
module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-autoscaled"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  tags                    = local.tags
}

module "table" {
  source = "../.."

  name                     = "crypto-prices-example-autoscaled"
  kms_key_arn              = module.kms.key_arn
  billing_mode             = var.billing_mode
  autoscaling              = var.autoscaling
  global_secondary_indexes = var.global_secondary_indexes
  deletion_protection      = var.deletion_protection
  tags                     = local.tags
}

variable "autoscaling" {
  description = "Capacity units min/max for reads and writes, and the target utilisation (%)."
  type        = any
  default = {
    read               = { min = 5, max = 100 }
    write              = { min = 10, max = 500 }
    target_utilization = 70
  }
}

variable "billing_mode" {
  description = "Billing mode (autoscaling needs PROVISIONED)."
  type        = string
  default     = "PROVISIONED"
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes (none by default)."
  type        = any
  default     = {}
}

variable "deletion_protection" {
  description = "Deletion protection."
  type        = bool
  default     = true
}

output "table_name" {
  description = "Table name."
  value       = module.table.table_name
}

output "autoscaling_policy_arns" {
  description = "Target-tracking policy ARNs."
  value       = module.table.autoscaling_policy_arns
}
