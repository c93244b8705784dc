terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  # State stays on the machine: this environment lives on a local moto server.
  backend "local" {}
}
