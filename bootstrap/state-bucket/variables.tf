variable "bucket" {
  description = "Name of the state bucket (the `bucket` of config/<env>.backend.hcl)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "region" {
  description = "Region of the state bucket (the `region` of config/<env>.backend.hcl)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}
