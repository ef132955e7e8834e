variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "orders_service" {
  name = "orders-service"
  role = var.policygen_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbD433D84C"
        Effect = "Allow"

        Action = [
          "dynamodb:PutItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        ]
      },
      {
        Sid    = "Dynamodb62F7C3D1"
        Effect = "Allow"

        Action = [
          "dynamodb:Query",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer",
        ]
      },
      {
        Sid    = "S307E1DE37"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::orders-archive/raw/*.json",
        ]
      },
      {
        Sid    = "Sqs797B191B"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:order-events",
        ]
      },
    ]
  })
}
