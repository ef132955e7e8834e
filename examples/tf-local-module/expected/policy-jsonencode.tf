variable "module_audit_module_function_aws_lambda_function_this_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "module_audit_module_function_aws_lambda_function_this" {
  name = "module.audit.module.function.aws_lambda_function.this"
  role = var.module_audit_module_function_aws_lambda_function_this_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Logs8CBD6468"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-audit:*",
        ]
      },
      {
        Sid    = "LogsB7E4F597"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-audit:log-stream:*",
        ]
      },
      {
        Sid    = "S31421E408"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::${aws_s3_bucket.audit.bucket}/audit/*.json",
        ]
      },
      {
        Sid    = "SqsA43D5CAA"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.audit.name}",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "module_orders_api_aws_lambda_function_this" {
  name = "module.orders_api.aws_lambda_function.this"
  role = module.orders_api.role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbADFB6F79"
        Effect = "Allow"

        Action = [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.orders.name}",
        ]
      },
      {
        Sid    = "LambdaF2DD0483"
        Effect = "Allow"

        Action = [
          "lambda:InvokeFunction",
        ]

        Resource = [
          "arn:aws:lambda:us-east-1:123456789012:function:shop-prod-audit",
        ]
      },
      {
        Sid    = "Logs94B791E3"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-orders-api:*",
        ]
      },
      {
        Sid    = "Logs9B475A8C"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-prod-orders-api:log-stream:*",
        ]
      },
      {
        Sid    = "Sqs75AF9E4F"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.audit.name}",
        ]
      },
      {
        Sid    = "XrayF54D0E69"
        Effect = "Allow"

        Action = [
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ]

        Resource = [
          "*",
        ]
      },
    ]
  })
}
