import boto3

session = boto3.session.Session(region_name="us-east-1")

CLIENTS = {
    "sns": session.client("sns"),
    "ses": session.client("sesv2"),
}
