# A key with named administrators and users, and one extra statement: a partner account's role may
# decrypt, but only what was encrypted for it (encryption context).
module "kms" {
  source = "../.."

  name                    = "orders-example"
  description             = "Orders example key"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  key_administrators      = var.key_administrators
  key_users               = var.key_users
  extra_statements        = var.extra_statements
  tags                    = local.tags
}

variable "key_administrators" {
  description = "Key administrators."
  type        = list(string)
  default     = ["arn:aws:iam::123456789012:role/platform-admin"]
}

variable "key_users" {
  description = "Key users."
  type        = list(string)
  default     = ["arn:aws:iam::123456789012:role/orders-service", "arn:aws:iam::123456789012:role/orders-batch"]
}

variable "extra_statements" {
  description = "Extra key policy statements."
  type = map(object({
    effect  = optional(string, "Allow")
    actions = list(string)
    principals = list(object({
      type        = string
      identifiers = list(string)
    }))
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = {
    PartnerDecryptsItsMessages = {
      actions    = ["kms:Decrypt"]
      principals = [{ type = "AWS", identifiers = ["arn:aws:iam::210987654321:role/orders-partner"] }]
      conditions = [{ test = "StringEquals", variable = "kms:EncryptionContext:tenant", values = ["partner"] }]
    }
  }
}

output "policy_json" {
  description = "The key policy."
  value       = module.kms.policy_json
}
