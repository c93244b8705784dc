# Where envs/staging keeps its Terraform state: the S3 backend's arguments (scripts/backend.py).
# make plan|apply|destroy ENV=staging pass this file to terraform init, with key=envs/staging/terraform.tfstate
# unless a key is given here. The bucket must exist first: create it once with
# `make state-bucket ENV=staging` (docs/deploy.md#state-backend), then uncomment the line below.
# bucket = "<state bucket of this account>"
region = "us-east-1"
