variable "ApiFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "WorkerFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "ReporterFunction_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "ApiFunction" {
  name = "ApiFunction"
  role = var.ApiFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Dynamodb7C025F24"
        Effect = "Allow"

        Action = [
          "dynamodb:PutItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod",
        ]
      },
      {
        Sid    = "Logs8C4CD88D"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ApiFunction-*:*",
        ]
      },
      {
        Sid    = "LogsD31EE817"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ApiFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "Sqs2E88AA5C"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:orders-EventsQueue-*",
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

resource "aws_iam_role_policy" "WorkerFunction" {
  name = "WorkerFunction"
  role = var.WorkerFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Dynamodb48734EFA"
        Effect = "Allow"

        Action = [
          "dynamodb:DescribeStream",
          "dynamodb:GetRecords",
          "dynamodb:GetShardIterator",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod/stream/*",
        ]
      },
      {
        Sid    = "DynamodbXray421331DF"
        Effect = "Allow"

        Action = [
          "dynamodb:ListStreams",
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ]

        Resource = [
          "*",
        ]
      },
      {
        Sid    = "LogsBF26CE3B"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-WorkerFunction-*:*",
        ]
      },
      {
        Sid    = "LogsF3E4CEE6"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-WorkerFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "S3B52008C3"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::acme-order-reports/incoming/*.json",
        ]
      },
      {
        Sid    = "Sqs5685DF49"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:orders-EventsQueue-*",
        ]
      },
      {
        Sid    = "Sqs081FEE74"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:orders-failed-prod",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "ReporterFunction" {
  name = "ReporterFunction"
  role = var.ReporterFunction_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbFFEAC9D6"
        Effect = "Allow"

        Action = [
          "dynamodb:Scan",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod",
        ]
      },
      {
        Sid    = "Logs926AB775"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ReporterFunction-*:*",
        ]
      },
      {
        Sid    = "Logs2E86F4F6"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-ReporterFunction-*:log-stream:*",
        ]
      },
      {
        Sid    = "S339D3E26E"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::acme-order-reports/*",
        ]
      },
      {
        Sid    = "Sns6705A554"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:order-reports-prod",
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
