variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "charge" {
  name = "charge"
  role = var.policygen_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Dynamodb2C464C5B"
        Effect = "Allow"

        Action = [
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/payments-prod-ledger",
        ]
      },
      {
        Sid    = "Logs4147EB85"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/payments-prod-charge:*",
        ]
      },
      {
        Sid    = "LogsE7D58EDC"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/payments-prod-charge:log-stream:*",
        ]
      },
      {
        Sid    = "SecretsmanagerAE4F7FB1"
        Effect = "Allow"

        Action = [
          "secretsmanager:GetSecretValue",
        ]

        Resource = [
          "arn:aws:secretsmanager:us-east-1:123456789012:secret:payments/stripe-??????",
        ]
      },
      {
        Sid    = "Sqs5BBAB53C"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:payments-prod-charges",
        ]
      },
    ]
  })
}
