variable "api_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "thumbnail_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

variable "jobsWorker_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "api" {
  name = "api"
  role = var.api_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Dynamodb7EE5EDCC"
        Effect = "Allow"

        Action = [
          "dynamodb:PutItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders-dev",
        ]
      },
      {
        Sid    = "LogsF9FE0961"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-api:*",
        ]
      },
      {
        Sid    = "LogsD2300441"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-api:log-stream:*",
        ]
      },
      {
        Sid    = "SnsA992903E"
        Effect = "Allow"

        Action = [
          "sns:Publish",
        ]

        Resource = [
          "arn:aws:sns:us-east-1:123456789012:shop-audit-dev",
        ]
      },
      {
        Sid    = "SqsB602294E"
        Effect = "Allow"

        Action = [
          "sqs:SendMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "thumbnail" {
  name = "thumbnail"
  role = var.thumbnail_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "LogsE23DAECC"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-thumbnail:*",
        ]
      },
      {
        Sid    = "Logs5C138D9D"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-thumbnail:log-stream:*",
        ]
      },
      {
        Sid    = "S3538E32EF"
        Effect = "Allow"

        Action = [
          "s3:AbortMultipartUpload",
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::shop-uploads-dev/thumbnails/*",
        ]
      },
      {
        Sid    = "S3F0065D89"
        Effect = "Allow"

        Action = [
          "s3:GetObject",
        ]

        Resource = [
          "arn:aws:s3:::shop-uploads-dev/incoming/*",
        ]
      },
    ]
  })
}

resource "aws_iam_role_policy" "jobsWorker" {
  name = "jobsWorker"
  role = var.jobsWorker_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "DynamodbE6755BE4"
        Effect = "Allow"

        Action = [
          "dynamodb:UpdateItem",
        ]

        Resource = [
          "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders-dev",
        ]
      },
      {
        Sid    = "LogsED3FC6F1"
        Effect = "Allow"

        Action = [
          "logs:CreateLogGroup",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-jobsWorker:*",
        ]
      },
      {
        Sid    = "LogsF489FCD2"
        Effect = "Allow"

        Action = [
          "logs:CreateLogStream",
          "logs:PutLogEvents",
        ]

        Resource = [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/shop-dev-jobsWorker:log-stream:*",
        ]
      },
      {
        Sid    = "S3ABF4CDBD"
        Effect = "Allow"

        Action = [
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::shop-archive-123456789012/receipts/*.json",
        ]
      },
      {
        Sid    = "Sqs73A1AE46"
        Effect = "Allow"

        Action = [
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ]

        Resource = [
          "arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs",
        ]
      },
    ]
  })
}
