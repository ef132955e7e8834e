variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "config_loader" {
  name = "config-loader"
  role = var.policygen_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Kms47ECBBB4"
        Effect = "Allow"

        Action = [
          "kms:Decrypt",
        ]

        Resource = [
          "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        ]

        Condition = {
          StringEquals = {
            "kms:ViaService" = [
              "secretsmanager.us-east-1.amazonaws.com",
              "ssm.us-east-1.amazonaws.com",
            ]
          }
        }
      },
      {
        Sid    = "Kms70A73E7B"
        Effect = "Allow"

        Action = [
          "kms:Decrypt",
        ]

        Resource = [
          "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ]
      },
      {
        Sid    = "Secretsmanager027EB195"
        Effect = "Allow"

        Action = [
          "secretsmanager:GetSecretValue",
        ]

        Resource = [
          "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders/db-??????",
        ]
      },
      {
        Sid    = "SsmFE8BA1ED"
        Effect = "Allow"

        Action = [
          "ssm:GetParameter",
        ]

        Resource = [
          "arn:aws:ssm:us-east-1:123456789012:parameter/prod/feature-flags",
        ]
      },
      {
        Sid    = "Ssm522D0EF1"
        Effect = "Allow"

        Action = [
          "ssm:GetParametersByPath",
        ]

        Resource = [
          "arn:aws:ssm:us-east-1:123456789012:parameter/prod/tuning",
        ]
      },
    ]
  })
}
