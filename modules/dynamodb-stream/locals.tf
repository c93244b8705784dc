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
}
