variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

resource "aws_iam_role_policy" "media_pipeline" {
  name = "media-pipeline"
  role = var.policygen_role_name

  policy = jsonencode({
    Version = "2012-10-17"

    Statement = [
      {
        Sid    = "Rekognition71B7DE1E"
        Effect = "Allow"

        Action = [
          "rekognition:DetectLabels",
        ]

        Resource = [
          "*",
        ]
      },
      {
        Sid    = "S3A44C76FE"
        Effect = "Allow"

        Action = [
          "s3:AbortMultipartUpload",
          "s3:PutObject",
        ]

        Resource = [
          "arn:aws:s3:::media-thumbnails/thumbs/*",
        ]
      },
      {
        Sid    = "S38A238F06"
        Effect = "Allow"

        Action = [
          "s3:DeleteObject",
        ]

        Resource = [
          "arn:aws:s3:::media-uploads/drafts/*",
        ]
      },
      {
        Sid    = "S3079DD7B1"
        Effect = "Allow"

        Action = [
          "s3:GetObject",
        ]

        Resource = [
          "arn:aws:s3:::media-thumbnails/thumbs/*",
          "arn:aws:s3:::media-uploads/*",
        ]
      },
      {
        Sid    = "S34F8BD332"
        Effect = "Allow"

        Action = [
          "s3:ListBucket",
        ]

        Resource = [
          "arn:aws:s3:::media-uploads",
        ]
      },
    ]
  })
}
