"""Deployment readers: SAM/CloudFormation, Serverless Framework and Terraform projects -> the
functions they deploy (`FunctionSpec`): code directory, handler, environment, the configuration
the Lambda service acts on (`FunctionConfig`: what `policygen.evidence.deployment` grants from) and
the policy the role has today. Readers only: no permission is derived here."""
