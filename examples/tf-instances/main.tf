variable "env" {
  type    = string
  default = "dev"
}

variable "shards" {
  type    = number
  default = 2
}

locals {
  tenants = {
    acme   = { plan = "pro" }
    globex = { plan = "free" }
  }
}

resource "aws_sqs_queue" "usage" {
  for_each = local.tenants
  name     = "usage-${each.key}-${var.env}"
}

resource "aws_dynamodb_table" "usage" {
  name         = "usage-${var.env}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "tenant"

  attribute {
    name = "tenant"
    type = "S"
  }
}

# One file each: the zip holds meter.py (or compactor.py) at its top.
data "archive_file" "meter" {
  type        = "zip"
  source_file = "${path.module}/lambda/meter.py"
  output_path = "${path.module}/build/meter.zip"
}

data "archive_file" "compactor" {
  type        = "zip"
  source_file = "${path.module}/lambda/compactor.py"
  output_path = "${path.module}/build/compactor.zip"
}

resource "aws_iam_role" "meter" {
  for_each = local.tenants
  name     = "meter-${each.key}-${var.env}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

# One function per tenant.
resource "aws_lambda_function" "meter" {
  for_each = local.tenants

  function_name    = "meter-${each.key}-${var.env}"
  role             = aws_iam_role.meter[each.key].arn
  handler          = "meter.handler"
  runtime          = "python3.12"
  filename         = data.archive_file.meter.output_path
  source_code_hash = data.archive_file.meter.output_base64sha256

  environment {
    variables = {
      TENANT      = each.key
      PLAN        = each.value.plan
      USAGE_TABLE = aws_dynamodb_table.usage.name
    }
  }
}

resource "aws_lambda_event_source_mapping" "usage" {
  for_each         = local.tenants
  event_source_arn = aws_sqs_queue.usage[each.key].arn
  function_name    = aws_lambda_function.meter[each.key].arn
}

resource "aws_iam_role" "compactor" {
  name = "compactor-${var.env}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

# One function per shard.
resource "aws_lambda_function" "compactor" {
  count = var.shards

  function_name = "compactor-${count.index}-${var.env}"
  role          = aws_iam_role.compactor.arn
  handler       = "compactor.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.compactor.output_path

  environment {
    variables = {
      SHARD_TABLE = "${aws_dynamodb_table.usage.name}-shard-${count.index}"
    }
  }
}
