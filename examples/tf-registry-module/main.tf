variable "stage" {
  type    = string
  default = "dev"
}

resource "aws_s3_bucket" "reports" {
  bucket = "acme-reports-${var.stage}"
}

resource "aws_dynamodb_table" "runs" {
  name         = "report-runs-${var.stage}"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "run_id"

  attribute {
    name = "run_id"
    type = "S"
  }
}

resource "aws_sqs_queue" "cleanup" {
  name = "report-cleanup-${var.stage}"
}

resource "aws_sqs_queue" "cleanup_dlq" {
  name = "report-cleanup-dlq-${var.stage}"
}

locals {
  functions = {
    ingest = {
      handler = "ingest.handler"
      path    = "src/ingest"
    }
    report = {
      handler = "report.lambda_handler"
      path    = "src/report"
      timeout = 300
    }
    notify = {
      handler = "index.handler"
      path    = "src/notify"
      runtime = "nodejs20.x"
    }
  }
}

# One function per entry of the map, from the public registry module.
module "lambda" {
  source   = "terraform-aws-modules/lambda/aws"
  version  = "~> 7.2"
  for_each = local.functions

  function_name = "reports-${var.stage}-${each.key}"
  handler       = each.value.handler
  runtime       = try(each.value.runtime, "python3.12")
  timeout       = try(each.value.timeout, 30)
  tracing_mode  = "Active"

  source_path = [
    {
      path             = "${path.module}/${each.value.path}"
      pip_requirements = false
    }
  ]

  environment_variables = {
    REPORTS_BUCKET = aws_s3_bucket.reports.bucket
    RUNS_TABLE     = aws_dynamodb_table.runs.name
  }

  attach_tracing_policy    = true
  attach_policy_statements = true
  policy_statements = {
    objects = {
      effect    = "Allow"
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = ["${aws_s3_bucket.reports.arn}/*"]
    }
    runs = {
      effect    = "Allow"
      actions   = ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"]
      resources = [aws_dynamodb_table.runs.arn]
    }
  }
}

data "aws_iam_policy_document" "cleanup" {
  statement {
    actions   = ["s3:ListBucket", "s3:DeleteObject"]
    resources = [aws_s3_bucket.reports.arn, "${aws_s3_bucket.reports.arn}/*"]
  }
}

# The same module from git, with a single-file source_path and a queue trigger.
module "cleanup" {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-lambda.git?ref=v7.2.1"

  function_name = "reports-${var.stage}-cleanup"
  handler       = "cleanup.handler"
  runtime       = "python3.12"
  source_path   = "${path.module}/src/cleanup.py"

  environment_variables = {
    REPORTS_BUCKET = aws_s3_bucket.reports.bucket
  }

  event_source_mapping = {
    sqs = {
      event_source_arn = aws_sqs_queue.cleanup.arn
      batch_size       = 5
    }
  }

  dead_letter_target_arn    = aws_sqs_queue.cleanup_dlq.arn
  attach_dead_letter_policy = true

  attach_policy_json = true
  policy_json        = data.aws_iam_policy_document.cleanup.json
}

output "report_function_arn" {
  value = module.lambda["report"].lambda_function_arn
}
