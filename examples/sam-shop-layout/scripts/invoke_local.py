"""Invoke the orders handler against a dev stack: python -m scripts.invoke_local"""

import json

from src.api.orders import lambda_handler

print(lambda_handler({"body": json.dumps({"sku": "demo", "email": "dev@shop.example.com"})}, None))
