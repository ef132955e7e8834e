"""Marks the team's running instances as audited."""

import boto3

ec2 = boto3.client("ec2")


def handler(event, context):
    found = ec2.describe_instances(Filters=[{"Name": "tag:team", "Values": [event["team"]]}])
    ids = [i["InstanceId"] for r in found["Reservations"] for i in r["Instances"]]
    if ids:
        ec2.create_tags(Resources=ids, Tags=[{"Key": "audited", "Value": "yes"}])
    return ids
