variable "env" {
  type    = string
  default = "dev"
}

locals {
  prefix = "shop-${var.env}"
}

resource "aws_dynamodb_table" "orders" {
  name         = "${local.prefix}-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "order_id"

  attribute {
    name = "order_id"
    type = "S"
  }
}

resource "aws_sqs_queue" "audit" {
  name = "${local.prefix}-audit"
}

resource "aws_s3_bucket" "audit" {
  bucket = "${local.prefix}-audit-log"
}

# A worker module that itself calls the function module (nested local modules).
module "audit" {
  source = "./modules/queue-worker"

  name       = "${local.prefix}-audit"
  code_dir   = "${path.module}/functions/audit"
  handler    = "audit.handler"
  queue_arn  = aws_sqs_queue.audit.arn
  queue_name = aws_sqs_queue.audit.name
  environment = {
    AUDIT_BUCKET = aws_s3_bucket.audit.bucket
  }
}

module "orders_api" {
  source = "./modules/python-function"

  name     = "${local.prefix}-orders-api"
  code_dir = "${path.module}/functions/orders_api"
  handler  = "app.lambda_handler"
  tracing  = true
  environment = {
    TABLE_NAME     = aws_dynamodb_table.orders.name
    AUDIT_QUEUE    = aws_sqs_queue.audit.url
    AUDIT_FUNCTION = module.audit.function_name
  }
}

resource "aws_iam_role_policy" "orders_api" {
  name = "orders-api"
  role = module.orders_api.role_name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["dynamodb:*"], Resource = aws_dynamodb_table.orders.arn },
      { Effect = "Allow", Action = ["sqs:SendMessage"], Resource = aws_sqs_queue.audit.arn },
    ]
  })
}

output "orders_api_arn" {
  value = module.orders_api.function_arn
}
