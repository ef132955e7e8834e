data "aws_iam_policy_document" "module_cleanup" {
  statement {
    sid       = "LogsD015D879"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-cleanup:*"]
  }

  statement {
    sid    = "Logs8CEC54CD"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-cleanup:log-stream:*"]
  }

  statement {
    sid       = "S3730EF411"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.reports.bucket}/*"]
  }

  statement {
    sid       = "S37A761629"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.reports.bucket}"]
  }

  statement {
    sid    = "SqsE0FD7FD1"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.cleanup.name}"]
  }

  statement {
    sid       = "SqsA5481B26"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.cleanup_dlq.name}"]
  }
}

resource "aws_iam_role_policy" "module_cleanup" {
  name   = "module.cleanup"
  role   = module.cleanup.lambda_role_name
  policy = data.aws_iam_policy_document.module_cleanup.json
}

data "aws_iam_policy_document" "module_lambda__ingest" {
  statement {
    sid       = "DynamodbE5DAFA87"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.runs.name}"]
  }

  statement {
    sid       = "LogsC3DF1D25"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-ingest:*"]
  }

  statement {
    sid    = "Logs06B7D790"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-ingest:log-stream:*"]
  }

  statement {
    sid       = "S3106A730B"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.reports.bucket}/incoming/*.csv"]
  }

  statement {
    sid    = "XrayF54D0E69"
    effect = "Allow"

    actions = [
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]

    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "module_lambda__ingest" {
  name   = "module.lambda--ingest"
  role   = module.lambda["ingest"].lambda_role_name
  policy = data.aws_iam_policy_document.module_lambda__ingest.json
}

data "aws_iam_policy_document" "module_lambda__report" {
  statement {
    sid       = "LogsE00DC3F5"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-report:*"]
  }

  statement {
    sid    = "Logs59A6E5FB"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/reports-prod-report:log-stream:*"]
  }

  statement {
    sid       = "S3605C1F95"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.reports.bucket}/incoming/*.csv"]
  }

  statement {
    sid       = "S3BFFEAB29"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.reports.bucket}/reports/*.txt"]
  }

  statement {
    sid    = "XrayF54D0E69"
    effect = "Allow"

    actions = [
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]

    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "module_lambda__report" {
  name   = "module.lambda--report"
  role   = module.lambda["report"].lambda_role_name
  policy = data.aws_iam_policy_document.module_lambda__report.json
}
