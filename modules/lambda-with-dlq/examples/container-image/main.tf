# Code as a container image in Amazon ECR: package_type Image, no handler, runtime or layers (the image
# carries them), the image's CMD overridden by `command`. Pin images by digest: a tag moved to another
# image is not a change Terraform sees.
module "function" {
  source = "../.."

  function_name = "crypto-prices-example-container-image"
  image = {
    uri     = var.image_uri
    command = var.command
  }
  handler     = var.handler
  layers      = var.layers
  memory_size = 1024
  timeout     = 60
  account_id  = var.account_id
  region      = var.region
  tags        = local.tags
}

variable "filename" {
  description = "Unused: the code is the image (declared because the test harness passes every lambda example a zip)."
  type        = string
  default     = null
}

variable "image_uri" {
  description = "ECR image, by digest."
  type        = string
  default     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/crypto-prices/enricher@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
}

variable "command" {
  description = "Overrides the image's CMD (the handler, for the AWS base images), or null."
  type        = list(string)
  default     = ["price_enricher.handler.handler"]
}

variable "handler" {
  description = "Must stay null for an image."
  type        = string
  default     = null
}

variable "layers" {
  description = "Must stay empty for an image."
  type        = list(string)
  default     = []
}

output "function_arn" {
  description = "The function."
  value       = module.function.function_arn
}
