variable "stage" {
  type    = string
  default = "prod"
}

locals {
  prefix = "thumbs-${var.stage}"
}

resource "aws_s3_bucket" "images" {
  bucket = "${local.prefix}-images"
}

resource "aws_sqs_queue" "jobs" {
  name = "${local.prefix}-jobs"
}

resource "aws_dynamodb_table" "index" {
  name         = "${local.prefix}-index"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "key"

  attribute {
    name = "key"
    type = "S"
  }
}

data "archive_file" "thumbnailer" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/thumbnailer.zip"
}

resource "aws_iam_role" "thumbnailer" {
  name = "${local.prefix}-thumbnailer"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
}

resource "aws_lambda_function" "thumbnailer" {
  function_name = "${local.prefix}-thumbnailer"
  role          = aws_iam_role.thumbnailer.arn
  handler       = "handler.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.thumbnailer.output_path

  environment {
    variables = {
      BUCKET      = aws_s3_bucket.images.bucket
      INDEX_TABLE = aws_dynamodb_table.index.name
    }
  }

  tracing_config {
    mode = "Active"
  }
}

resource "aws_lambda_event_source_mapping" "jobs" {
  event_source_arn = aws_sqs_queue.jobs.arn
  function_name    = aws_lambda_function.thumbnailer.arn
}

resource "aws_iam_role_policy" "thumbnailer" {
  name = "thumbnailer"
  role = aws_iam_role.thumbnailer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:*"], Resource = "${aws_s3_bucket.images.arn}/*" },
      { Effect = "Allow", Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], Resource = aws_sqs_queue.jobs.arn },
    ]
  })
}

data "aws_iam_policy_document" "index" {
  statement {
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    resources = [aws_dynamodb_table.index.arn]
  }
}

resource "aws_iam_policy" "index" {
  name   = "${local.prefix}-index"
  policy = data.aws_iam_policy_document.index.json
}

resource "aws_iam_role_policy_attachment" "index" {
  role       = aws_iam_role.thumbnailer.name
  policy_arn = aws_iam_policy.index.arn
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.thumbnailer.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}
