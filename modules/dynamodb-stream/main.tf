resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.provisioned_capacity.read : null
  write_capacity              = local.provisioned ? var.provisioned_capacity.write : null
  hash_key                    = var.hash_key.name
  range_key                   = try(var.range_key.name, null)
  table_class                 = var.table_class
  deletion_protection_enabled = var.deletion_protection

  # AWS accepts a view type only with the stream on.
  stream_enabled   = var.stream_enabled
  stream_view_type = var.stream_enabled ? var.stream_view_type : null

  dynamic "attribute" {
    for_each = local.attributes
    content {
      name = attribute.key
      type = attribute.value[0]
    }
  }

  dynamic "local_secondary_index" {
    for_each = var.local_secondary_indexes
    content {
      name               = local_secondary_index.value.name
      range_key          = local_secondary_index.value.range_key
      projection_type    = local_secondary_index.value.projection_type
      non_key_attributes = local_secondary_index.value.projection_type == "INCLUDE" ? local_secondary_index.value.non_key_attributes : null
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.global_secondary_indexes
    content {
      name               = global_secondary_index.key
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.projection_type == "INCLUDE" ? global_secondary_index.value.non_key_attributes : null
      # A provisioned table's indexes take its capacity; on demand they have none.
      read_capacity  = local.provisioned ? var.provisioned_capacity.read : null
      write_capacity = local.provisioned ? var.provisioned_capacity.write : null
    }
  }

  dynamic "on_demand_throughput" {
    for_each = var.on_demand_throughput == null ? [] : [var.on_demand_throughput]
    content {
      max_read_request_units  = on_demand_throughput.value.max_read_request_units
      max_write_request_units = on_demand_throughput.value.max_write_request_units
    }
  }

  point_in_time_recovery {
    enabled                 = var.point_in_time_recovery
    recovery_period_in_days = var.point_in_time_recovery ? var.point_in_time_recovery_period_in_days : null
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute == null ? [] : [var.ttl_attribute]
    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = alltrue([for name, types in local.attributes : length(distinct(types)) == 1])
      error_message = "A key attribute is declared with two different types."
    }
  }
}
