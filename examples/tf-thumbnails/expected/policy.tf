data "aws_iam_policy_document" "aws_lambda_function_thumbnailer" {
  statement {
    sid       = "Dynamodb0DB14DCD"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/${aws_dynamodb_table.index.name}"]
  }

  statement {
    sid       = "LogsC46EBE7A"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup"]
    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.thumbnailer.function_name}:*"]
  }

  statement {
    sid    = "Logs35934805"
    effect = "Allow"

    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]

    resources = ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${aws_lambda_function.thumbnailer.function_name}:log-stream:*"]
  }

  statement {
    sid    = "S37E333327"
    effect = "Allow"

    actions = [
      "s3:AbortMultipartUpload",
      "s3:PutObject",
    ]

    resources = ["arn:aws:s3:::${aws_s3_bucket.images.bucket}/thumbnails/*"]
  }

  statement {
    sid       = "S3C028616E"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${aws_s3_bucket.images.bucket}/originals/*"]
  }

  statement {
    sid    = "Sqs55C60CE0"
    effect = "Allow"

    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]

    resources = ["arn:aws:sqs:us-east-1:123456789012:${aws_sqs_queue.jobs.name}"]
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

resource "aws_iam_role_policy" "aws_lambda_function_thumbnailer" {
  name   = "aws_lambda_function.thumbnailer"
  role   = aws_iam_role.thumbnailer.name
  policy = data.aws_iam_policy_document.aws_lambda_function_thumbnailer.json
}
