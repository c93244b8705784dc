variable "name" {
  description = "Table name; carries the environment, e.g. `crypto-prices-dev-ticks`."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "hash_key" {
  description = "Partition key attribute. The default fits the handlers (docs/design.md): `pk` (S), `\"<SYMBOL>#<exchange>\"`."
  type = object({
    name = string
    type = optional(string, "S")
  })
  default = { name = "pk", type = "S" }

  validation {
    condition     = contains(["S", "N", "B"], var.hash_key.type)
    error_message = "hash_key.type must be S, N or B."
  }
}

variable "range_key" {
  description = "Sort key attribute, or null for none. Default `sk` (S): `t#<event time, us>#e#<event_id>` or `t#<us>#h#<digest>` for ticks, `e#<event_id>` for event-id claims, `r#<request digest>` for request claims."
  type = object({
    name = string
    type = optional(string, "S")
  })
  default = { name = "sk", type = "S" }

  validation {
    condition     = var.range_key == null || contains(["S", "N", "B"], try(var.range_key.type, "S"))
    error_message = "range_key.type must be S, N or B."
  }
}

variable "local_secondary_indexes" {
  description = "Local secondary indexes (same partition key, another sort key). Default none: with any LSI, every partition key's item collection (items plus index entries) must fit in 10 GB, past which writes of that key fail with ItemCollectionSizeLimitExceededException; each LSI also adds a write unit per write. The price table orders a series by its own sort key instead (docs/design.md)."
  type = list(object({
    name               = string
    range_key          = string
    range_key_type     = optional(string, "S")
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string), [])
  }))
  default = []

  validation {
    condition = alltrue([for i in var.local_secondary_indexes :
      contains(["S", "N", "B"], i.range_key_type) &&
      contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type) &&
      (i.projection_type == "INCLUDE") == (length(i.non_key_attributes) > 0)
    ])
    error_message = "Each index needs range_key_type S, N or B and projection_type ALL, KEYS_ONLY or INCLUDE; non_key_attributes are given exactly when the projection is INCLUDE."
  }

  validation {
    condition     = length(var.local_secondary_indexes) <= 5
    error_message = "A table has at most 5 local secondary indexes."
  }
}

variable "global_secondary_indexes" {
  description = <<-EOT
    Global secondary indexes by name: their own partition key (`hash_key`) and optional sort key, each
    with its type (S, N or B), and the projection (`ALL`, `KEYS_ONLY`, or `INCLUDE` with
    `non_key_attributes`). Unlike a local index, a global one caps no item collection and can be added
    to or removed from an existing table. On a PROVISIONED table each index takes `provisioned_capacity`.
    Default none.
  EOT
  type = map(object({
    hash_key           = string
    hash_key_type      = optional(string, "S")
    range_key          = optional(string)
    range_key_type     = optional(string, "S")
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for name, i in var.global_secondary_indexes : can(regex("^[a-zA-Z0-9_.-]{3,255}$", name))])
    error_message = "global_secondary_indexes: each index name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }

  validation {
    condition = alltrue([for i in values(var.global_secondary_indexes) :
      contains(["S", "N", "B"], i.hash_key_type) && contains(["S", "N", "B"], i.range_key_type)
    ])
    error_message = "global_secondary_indexes: hash_key_type and range_key_type must be S, N or B."
  }

  validation {
    condition = alltrue([for i in values(var.global_secondary_indexes) :
      contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type) &&
      (i.projection_type == "INCLUDE") == (length(i.non_key_attributes) > 0)
    ])
    error_message = "global_secondary_indexes: projection_type must be ALL, KEYS_ONLY or INCLUDE; non_key_attributes are given exactly when the projection is INCLUDE."
  }

  validation {
    condition     = length(var.global_secondary_indexes) <= 20
    error_message = "A table has at most 20 global secondary indexes."
  }
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on demand) or PROVISIONED."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "provisioned_capacity" {
  description = "Read and write capacity units, used only when billing_mode is PROVISIONED."
  type = object({
    read  = optional(number, 5)
    write = optional(number, 5)
  })
  default = {}

  validation {
    condition     = var.provisioned_capacity.read >= 1 && var.provisioned_capacity.write >= 1
    error_message = "Capacity units must be at least 1."
  }
}

variable "on_demand_throughput" {
  description = "Cap on the table's on-demand throughput (PAY_PER_REQUEST only): maximum read and write request units per second, each null for no cap. Requests past the cap are throttled, which bounds the cost of a runaway writer. Null (default): no cap."
  type = object({
    max_read_request_units  = optional(number)
    max_write_request_units = optional(number)
  })
  default = null

  validation {
    condition = var.on_demand_throughput == null || alltrue([
      for units in [try(var.on_demand_throughput.max_read_request_units, null), try(var.on_demand_throughput.max_write_request_units, null)] :
      units == null || try(units >= 1 && floor(units) == units, false)
    ])
    error_message = "on_demand_throughput: max_read_request_units and max_write_request_units must be null or whole numbers of at least 1."
  }

  validation {
    condition     = var.on_demand_throughput == null || var.billing_mode == "PAY_PER_REQUEST"
    error_message = "on_demand_throughput applies only when billing_mode is PAY_PER_REQUEST."
  }
}

variable "table_class" {
  description = "STANDARD or STANDARD_INFREQUENT_ACCESS."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "STANDARD_INFREQUENT_ACCESS"], var.table_class)
    error_message = "table_class must be STANDARD or STANDARD_INFREQUENT_ACCESS."
  }
}

variable "stream_enabled" {
  description = "DynamoDB stream on (the enricher's event source). Off: no stream, `stream_view_type` is ignored and the outputs `stream_arn` and `stream_label` are null."
  type        = bool
  default     = true
}

variable "stream_view_type" {
  description = "What the stream carries. The enricher needs NEW_IMAGE at least; NEW_AND_OLD_IMAGES is the contract."
  type        = string
  default     = "NEW_AND_OLD_IMAGES"

  validation {
    condition     = contains(["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"], var.stream_view_type)
    error_message = "stream_view_type must be NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES or KEYS_ONLY."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for server-side encryption (required: the table is never left on the AWS owned key)."
  type        = string

  validation {
    condition     = can(regex("^arn:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery (continuous backups)."
  type        = bool
  default     = true
}

variable "point_in_time_recovery_period_in_days" {
  description = "Days of point-in-time recovery (1-35): how far back a restore can go. Null keeps the AWS default of 35. Only with `point_in_time_recovery` on."
  type        = number
  default     = null

  validation {
    condition     = var.point_in_time_recovery_period_in_days == null || try(var.point_in_time_recovery_period_in_days >= 1 && var.point_in_time_recovery_period_in_days <= 35 && floor(var.point_in_time_recovery_period_in_days) == var.point_in_time_recovery_period_in_days, false)
    error_message = "point_in_time_recovery_period_in_days must be a whole number from 1 to 35."
  }

  validation {
    condition     = var.point_in_time_recovery_period_in_days == null || var.point_in_time_recovery
    error_message = "point_in_time_recovery_period_in_days needs point_in_time_recovery = true."
  }
}

variable "ttl_attribute" {
  description = "Attribute holding the expiry time (epoch seconds) for DynamoDB TTL, or null to leave TTL off. The handlers write `expires_at` when TICK_TTL_DAYS > 0."
  type        = string
  default     = null

  validation {
    condition     = var.ttl_attribute == null || can(regex("^[a-zA-Z0-9_.-]{1,255}$", var.ttl_attribute))
    error_message = "ttl_attribute must be a valid attribute name."
  }
}

variable "deletion_protection" {
  description = "Deletion protection (turn off only for throw-away environments)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}

variable "autoscaling" {
  description = <<-EOT
    Application Auto Scaling of a PROVISIONED table's read and write capacity (target tracking), or
    null (default) for none. `read` and `write` give the capacity units' `min` and `max`; the scaler
    keeps consumed / provisioned near `target_utilization` percent (20-90, default 70). The table
    starts at `min` and its capacity is then left to the scaler (plans ignore it). AWS raises capacity
    about 2 minutes after consumption passes the target and lowers it after 15 minutes below, at most
    27 times a day; requests past the provisioned capacity and the burst capacity (up to 300 s of
    unused capacity) are throttled. Not with global secondary indexes.
  EOT
  type = object({
    read = object({
      min = number
      max = number
    })
    write = object({
      min = number
      max = number
    })
    target_utilization = optional(number, 70)
  })
  default = null

  validation {
    condition     = var.autoscaling == null || var.billing_mode == "PROVISIONED"
    error_message = "autoscaling needs billing_mode = \"PROVISIONED\" (an on-demand table scales itself)."
  }

  validation {
    condition = var.autoscaling == null || alltrue([
      for c in [try(var.autoscaling.read, null), try(var.autoscaling.write, null)] :
      try(c.min >= 1 && c.max <= 40000 && c.min <= c.max && floor(c.min) == c.min && floor(c.max) == c.max, false)
    ])
    error_message = "autoscaling: read and write need whole numbers with 1 <= min <= max <= 40000 (the default per-table quota of capacity units)."
  }

  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.target_utilization >= 20 && var.autoscaling.target_utilization <= 90, false)
    error_message = "autoscaling.target_utilization must be from 20 to 90 (percent), the range DynamoDB's target tracking accepts."
  }

  validation {
    condition     = var.autoscaling == null || length(var.global_secondary_indexes) == 0
    error_message = "autoscaling does not scale global secondary indexes yet: use a fixed provisioned_capacity or PAY_PER_REQUEST with indexes."
  }
}
