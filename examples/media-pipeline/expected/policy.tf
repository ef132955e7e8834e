variable "policygen_role_name" {
  description = "Name of the Lambda execution role this policy is attached to"
  type        = string
}

data "aws_iam_policy_document" "media_pipeline" {
  statement {
    sid       = "Rekognition71B7DE1E"
    effect    = "Allow"
    actions   = ["rekognition:DetectLabels"]
    resources = ["*"]
  }

  statement {
    sid    = "S3A44C76FE"
    effect = "Allow"

    actions = [
      "s3:AbortMultipartUpload",
      "s3:PutObject",
    ]

    resources = ["arn:aws:s3:::media-thumbnails/thumbs/*"]
  }

  statement {
    sid       = "S38A238F06"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["arn:aws:s3:::media-uploads/drafts/*"]
  }

  statement {
    sid     = "S3079DD7B1"
    effect  = "Allow"
    actions = ["s3:GetObject"]

    resources = [
      "arn:aws:s3:::media-thumbnails/thumbs/*",
      "arn:aws:s3:::media-uploads/*",
    ]
  }

  statement {
    sid       = "S34F8BD332"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::media-uploads"]
  }
}

resource "aws_iam_role_policy" "media_pipeline" {
  name   = "media-pipeline"
  role   = var.policygen_role_name
  policy = data.aws_iam_policy_document.media_pipeline.json
}
