provider "aws" {
  region = var.region

  # Plans without AWS access (the tests use fake credentials); applies with real ones as well.
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true

  default_tags {
    tags = {
      Environment = "example"
      Application = "orders"
      ManagedBy   = "terraform"
    }
  }
}
