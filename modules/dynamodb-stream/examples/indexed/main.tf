# A table for another service: orders looked up by customer and by status, point-in-time recovery
# kept 7 days, on-demand throughput capped; the stream can be turned off.
module "kms" {
  source = "../../../kms"

  name                    = "orders-example-table"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  tags                    = local.tags
}

module "table" {
  source = "../.."

  name                                  = "orders-example"
  kms_key_arn                           = module.kms.key_arn
  hash_key                              = { name = "order_id" }
  range_key                             = null
  global_secondary_indexes              = var.global_secondary_indexes
  billing_mode                          = var.billing_mode
  on_demand_throughput                  = var.on_demand_throughput
  point_in_time_recovery_period_in_days = var.point_in_time_recovery_period_in_days
  stream_enabled                        = var.stream_enabled
  deletion_protection                   = false
  tags                                  = local.tags
}

variable "global_secondary_indexes" {
  description = "Indexes of the example table."
  type = map(object({
    hash_key           = string
    hash_key_type      = optional(string, "S")
    range_key          = optional(string)
    range_key_type     = optional(string, "S")
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string), [])
  }))
  default = {
    by_customer = { hash_key = "customer_id", range_key = "created_at", range_key_type = "N" }
    by_status = {
      hash_key           = "status"
      range_key          = "created_at"
      range_key_type     = "N"
      projection_type    = "INCLUDE"
      non_key_attributes = ["customer_id", "total"]
    }
  }
}

variable "billing_mode" {
  description = "Billing mode."
  type        = string
  default     = "PAY_PER_REQUEST"
}

variable "on_demand_throughput" {
  description = "On-demand cap."
  type = object({
    max_read_request_units  = optional(number)
    max_write_request_units = optional(number)
  })
  default = { max_read_request_units = 200, max_write_request_units = 100 }
}

variable "point_in_time_recovery_period_in_days" {
  description = "PITR period."
  type        = number
  default     = 7
}

variable "stream_enabled" {
  description = "Stream on or off."
  type        = bool
  default     = true
}

output "stream_arn" {
  description = "Stream ARN, or null with the stream off."
  value       = module.table.stream_arn
}

output "global_index_names" {
  description = "Index names."
  value       = module.table.global_index_names
}
