resource "aws_iam_role_policy" "aws_lambda_function_compactor_0" {
  name = "aws_lambda_function.compactor-0"
  role = aws_iam_role.compactor.name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbE3BF4F4C"
        Effect = "Allow"

        Action = [
          "dynamodb:DeleteItem",
          "dynamodb:Scan",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/usage-prod-shard-0",
        ]
      },
      {
        Sid    = "Logs0425D4AF"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-0-prod:*",
        ]
      },
      {
        Sid    = "LogsA71EDA39"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-0-prod:log-stream:*",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "aws_lambda_function_compactor_1" {
  name = "aws_lambda_function.compactor-1"
  role = aws_iam_role.compactor.name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Dynamodb2F4AF279"
        Effect = "Allow"

        Action = [
          "dynamodb:DeleteItem",
          "dynamodb:Scan",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/usage-prod-shard-1",
        ]
      },
      {
        Sid    = "Logs3DA96994"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-1-prod:*",
        ]
      },
      {
        Sid    = "Logs927BC247"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/compactor-1-prod:log-stream:*",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "aws_lambda_function_meter__acme" {
  name = "aws_lambda_function.meter--acme"
  role = aws_iam_role.meter["acme"].name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbD1492F48"
        Effect = "Allow"

        Action = [
          "dynamodb:UpdateItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.usage.name}",
        ]
      },
      {
        Sid    = "Logs089EC332"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-acme-prod:*",
        ]
      },
      {
        Sid    = "Logs96D520F5"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-acme-prod:log-stream:*",
        ]
      },
      {
        Sid    = "Sqs28A7C12B"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:usage-acme-prod",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "aws_lambda_function_meter__globex" {
  name = "aws_lambda_function.meter--globex"
  role = aws_iam_role.meter["globex"].name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbD1492F48"
        Effect = "Allow"

        Action = [
          "dynamodb:UpdateItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.usage.name}",
        ]
      },
      {
        Sid    = "Logs1A905D04"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-globex-prod:*",
        ]
      },
      {
        Sid    = "Logs6C4AEBB9"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/meter-globex-prod:log-stream:*",
        ]
      },
      {
        Sid    = "SqsD17A0551"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:usage-globex-prod",
        ]
      },
    ]
  })
}
