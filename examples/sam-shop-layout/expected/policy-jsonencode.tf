variable "OrdersFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "NotifyFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "OrdersFunction" {
  name = "OrdersFunction"
  role = var.OrdersFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbDB8C5A6E"
        Effect = "Allow"

        Action = [
          "dynamodb:PutItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders",
        ]
      },
      {
        Sid    = "Logs6E0A5BBD"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-OrdersFunction-*:*",
        ]
      },
      {
        Sid    = "LogsC269943A"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-OrdersFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "SnsF02B603E"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:shop-order-events",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "NotifyFunction" {
  name = "NotifyFunction"
  role = var.NotifyFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Logs11F70729"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-NotifyFunction-*:*",
        ]
      },
      {
        Sid    = "Logs4E1A1DCD"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-NotifyFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "SesA714241B"
        Effect = "Allow"

        Action = [
          "ses:SendEmail",
        ]

        Resource = [
          "arn:aws:ses:us-east-1:123456789012:identity/orders@shop.example.com",
        ]
      },
    ]
  })
}
