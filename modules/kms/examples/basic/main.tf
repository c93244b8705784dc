module "kms" {
  source = "../.."

  name                    = "crypto-prices-example"
  description             = "Example key"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  service_principals      = ["logs", "cloudwatch"]
  log_group_name_prefix   = "/aws/lambda/crypto-prices-example-"
  tags                    = local.tags
}

output "key_arn" {
  description = "Key ARN."
  value       = module.kms.key_arn
}

output "alias_name" {
  description = "Alias name."
  value       = module.kms.alias_name
}
