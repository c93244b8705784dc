locals {
  key_attributes = concat(
    [var.hash_key],
    var.range_key == null ? [] : [var.range_key],
  )
  lsi_attributes = [for i in var.local_secondary_indexes : { name = i.range_key, type = i.range_key_type }]
  gsi_attributes = flatten([
    for i in values(var.global_secondary_indexes) : concat(
      [{ name = i.hash_key, type = i.hash_key_type }],
      i.range_key == null ? [] : [{ name = i.range_key, type = i.range_key_type }],
    )
  ])
  # Every key attribute is declared once, whether it keys the table or an index; AWS refuses an
  # attribute definition no key uses.
  attributes  = { for a in concat(local.key_attributes, local.lsi_attributes, local.gsi_attributes) : a.name => a.type... }
  provisioned = var.billing_mode == "PROVISIONED"
  autoscaled  = var.autoscaling != null
  # A scaled table starts at its minimum; the scaler moves it from there.
  read_capacity  = !local.provisioned ? null : local.autoscaled ? var.autoscaling.read.min : var.provisioned_capacity.read
  write_capacity = !local.provisioned ? null : local.autoscaled ? var.autoscaling.write.min : var.provisioned_capacity.write
  scaled = !local.autoscaled ? {} : {
    read  = { dimension = "Read", min = var.autoscaling.read.min, max = var.autoscaling.read.max }
    write = { dimension = "Write", min = var.autoscaling.write.min, max = var.autoscaling.write.max }
  }
  table = local.autoscaled ? aws_dynamodb_table.autoscaled[0] : aws_dynamodb_table.this[0]
}
