variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "config_loader" {
  statement {
    sid       = "Kms47ECBBB4"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"

      values = [
        "secretsmanager.us-east-1.amazonaws.com",
        "ssm.us-east-1.amazonaws.com",
      ]
    }
  }

  statement {
    sid       = "Kms70A73E7B"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  }

  statement {
    sid       = "Secretsmanager027EB195"
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders/db-??????"]
  }

  statement {
    sid       = "SsmFE8BA1ED"
    effect    = "Allow"
    actions   = ["ssm:GetParameter"]
    resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/prod/feature-flags"]
  }

  statement {
    sid       = "Ssm522D0EF1"
    effect    = "Allow"
    actions   = ["ssm:GetParametersByPath"]
    resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/prod/tuning"]
  }
}

resource "aws_iam_role_policy" "config_loader" {
  name   = "config-loader"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.config_loader.json
}
