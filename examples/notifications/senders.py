import os

TOPIC_ARN = os.environ["TOPIC_ARN"]
SENDER = os.environ["SENDER"]


def send_sms(sns, message):
    sns.publish(TopicArn=TOPIC_ARN, Message=message)


def send_email(ses, to, message):
    ses.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "Update"}, "Body": {"Text": {"Data": message}}}},
    )
