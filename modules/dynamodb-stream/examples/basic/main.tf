module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-table"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  tags                    = local.tags
}

module "table" {
  source = "../.."

  name                = "crypto-prices-example-ticks"
  kms_key_arn         = module.kms.key_arn
  ttl_attribute       = var.ttl_attribute
  deletion_protection = var.deletion_protection
  billing_mode        = var.billing_mode
  tags                = local.tags
}

variable "ttl_attribute" {
  description = "TTL attribute or null."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Deletion protection."
  type        = bool
  default     = true
}

variable "billing_mode" {
  description = "Billing mode."
  type        = string
  default     = "PAY_PER_REQUEST"
}

output "table_name" {
  description = "Table name."
  value       = module.table.table_name
}

output "stream_arn" {
  description = "Stream ARN."
  value       = module.table.stream_arn
}
