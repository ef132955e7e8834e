"""Deployment readers: SAM/CloudFormation, Serverless Framework and Terraform projects -> the
functions they deploy (`FunctionSpec`): code directory, handler, environment, platform permissions
and the policy the role has today."""
