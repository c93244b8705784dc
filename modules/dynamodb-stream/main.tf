locals {
  key_attributes = concat(
    [var.hash_key],
    var.range_key == null ? [] : [var.range_key],
  )
  index_attributes = [for i in var.local_secondary_indexes : { name = i.range_key, type = i.range_key_type }]
  # Every key attribute is declared once, whether it keys the table or an index.
  attributes = { for a in concat(local.key_attributes, local.index_attributes) : a.name => a.type... }
}

resource "aws_dynamodb_table" "this" {
  name                        = var.name
  billing_mode                = var.billing_mode
  read_capacity               = var.billing_mode == "PROVISIONED" ? var.provisioned_capacity.read : null
  write_capacity              = var.billing_mode == "PROVISIONED" ? var.provisioned_capacity.write : null
  hash_key                    = var.hash_key.name
  range_key                   = try(var.range_key.name, null)
  table_class                 = var.table_class
  deletion_protection_enabled = var.deletion_protection

  stream_enabled   = true
  stream_view_type = var.stream_view_type

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

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
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
