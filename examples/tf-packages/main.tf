variable "env" {
  type    = string
  default = "dev"
}

resource "aws_sns_topic" "alerts" {
  name = "ops-alerts-${var.env}"
}

resource "aws_s3_bucket" "artifacts" {
  bucket = "ops-artifacts-${var.env}"
}

resource "aws_ssm_parameter" "export_prefix" {
  name  = "/ops/${var.env}/export-prefix"
  type  = "String"
  value = "exports/"
}

resource "aws_secretsmanager_secret" "db" {
  name = "ops/${var.env}/db"
}

# The code is written here, in source blocks.
data "archive_file" "heartbeat" {
  type        = "zip"
  output_path = "${path.module}/build/heartbeat.zip"

  source {
    filename = "index.py"
    content  = <<-EOT
      import os

      import boto3

      sns = boto3.client("sns")


      def handler(event, context):
          sns.publish(TopicArn=os.environ["ALERTS_TOPIC"], Subject="heartbeat", Message="ok")
    EOT
  }
}

resource "aws_lambda_function" "heartbeat" {
  function_name = "ops-heartbeat-${var.env}"
  role          = "arn:aws:iam::123456789012:role/ops-heartbeat"
  handler       = "index.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.heartbeat.output_path

  environment {
    variables = {
      ALERTS_TOPIC = aws_sns_topic.alerts.arn
    }
  }
}

# A zip committed to the repository (dist/rotate.zip, built by make_rotate_zip.py).
resource "aws_lambda_function" "rotate" {
  function_name    = "ops-rotate-${var.env}"
  role             = "arn:aws:iam::123456789012:role/ops-rotate"
  handler          = "rotate.handler"
  runtime          = "python3.11"
  filename         = "${path.module}/dist/rotate.zip"
  source_code_hash = filebase64sha256("${path.module}/dist/rotate.zip")

  environment {
    variables = {
      SECRET_ID = aws_secretsmanager_secret.db.name
    }
  }
}

# Deployed through S3: the object uploads the archive of exporter/.
data "archive_file" "exporter" {
  type        = "zip"
  source_dir  = "${path.module}/exporter"
  output_path = "${path.module}/build/exporter.zip"
}

resource "aws_s3_object" "exporter" {
  bucket = aws_s3_bucket.artifacts.id
  key    = "lambda/exporter-${var.env}.zip"
  source = data.archive_file.exporter.output_path
  etag   = data.archive_file.exporter.output_md5
}

resource "aws_lambda_function" "exporter" {
  function_name = "ops-exporter-${var.env}"
  role          = "arn:aws:iam::123456789012:role/ops-exporter"
  handler       = "main.handler"
  runtime       = "python3.12"
  s3_bucket     = aws_s3_bucket.artifacts.id
  s3_key        = aws_s3_object.exporter.key

  environment {
    variables = {
      BUCKET        = aws_s3_bucket.artifacts.bucket
      PREFIX_PARAM  = aws_ssm_parameter.export_prefix.name
    }
  }
}

# Not Python: listed as not analysed, the others still are.
resource "aws_lambda_function" "renderer" {
  function_name = "ops-renderer-${var.env}"
  role          = "arn:aws:iam::123456789012:role/ops-renderer"
  package_type  = "Image"
  image_uri     = "123456789012.dkr.ecr.us-east-1.amazonaws.com/renderer:latest"
}

data "archive_file" "edge" {
  type        = "zip"
  source_dir  = "${path.module}/edge"
  output_path = "${path.module}/build/edge.zip"
}

resource "aws_lambda_function" "edge" {
  function_name = "ops-edge-${var.env}"
  role          = "arn:aws:iam::123456789012:role/ops-edge"
  handler       = "index.handler"
  runtime       = "nodejs20.x"
  filename      = data.archive_file.edge.output_path
}
