"""Starts the daily sales query in Athena and returns where its results will be written."""

import os

import boto3

athena = boto3.client("athena")


def handler(event, context):
    started = athena.start_query_execution(
        QueryString="SELECT region, sum(total) FROM orders GROUP BY region",
        QueryExecutionContext={"Database": os.environ["SALES_DATABASE"]},
        ResultConfiguration={"OutputLocation": f"s3://{os.environ['RESULTS_BUCKET']}/daily/"},
    )
    execution = athena.get_query_execution(QueryExecutionId=started["QueryExecutionId"])
    return execution["QueryExecution"]["ResultConfiguration"]["OutputLocation"]
