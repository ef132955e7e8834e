variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "orders_service" {
  statement {
    sid       = "DynamodbD433D84C"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]
  }

  statement {
    sid       = "Dynamodb62F7C3D1"
    effect    = "Allow"
    actions   = ["dynamodb:Query"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer"]
  }

  statement {
    sid       = "S307E1DE37"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::orders-archive/raw/*.json"]
  }

  statement {
    sid       = "Sqs797B191B"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:order-events"]
  }
}

resource "aws_iam_role_policy" "orders_service" {
  name   = "orders-service"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.orders_service.json
}
