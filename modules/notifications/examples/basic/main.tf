module "kms" {
  source = "../../../kms"

  name                    = "crypto-prices-example-topic"
  account_id              = var.account_id
  region                  = var.region
  deletion_window_in_days = 7
  service_principals      = ["logs", "cloudwatch"]
  tags                    = local.tags
}

module "topic" {
  source = "../.."

  name                    = "crypto-prices-example-enriched-ticks"
  kms_key_arn             = module.kms.key_arn
  account_id              = var.account_id
  publisher_role_arns     = ["arn:aws:iam::${var.account_id}:role/crypto-prices-example-enricher-role"]
  allow_cloudwatch_alarms = true
  tags                    = local.tags
}

output "topic_arn" {
  description = "Topic ARN."
  value       = module.topic.topic_arn
}
