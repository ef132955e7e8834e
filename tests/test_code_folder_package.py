"""Lambda puts the code folder at the root of sys.path: ``app.lambda_handler`` imports ``app.py``
inside the folder, even when the folder itself holds an __init__.py (and is named ``app``)."""

from __future__ import annotations

from pathlib import Path

import policygen

TARGET = policygen.Target("aws", "us-east-1", "123456789012")


def _folder(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "helpers.py").write_text('def table_name():\n    return "predictions"\n')
    (root / "app.py").write_text(
        "import boto3\nfrom helpers import table_name\n\n"
        "def lambda_handler(event, context):\n"
        '    boto3.client("dynamodb").get_item(TableName=table_name(), Key={})\n'
    )
    return root


def test_handler_module_named_like_its_package_folder_is_the_module(tmp_path):
    root = _folder(tmp_path, "app")
    result = policygen.generate(root, policygen.Options(handler="app.lambda_handler", target=TARGET))
    assert {(p.action, p.resource) for p in result.permissions} == {
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/predictions")
    }
    assert "__init__.py" in {e.path for e in result.analysis.excluded}


def test_package_folder_without_a_module_of_its_name_still_imports_itself(tmp_path):
    """Negative: no module named like the folder, so its own name still reaches its modules."""
    root = _folder(tmp_path, "orders")
    (root / "app.py").write_text(
        "import boto3\nfrom orders.helpers import table_name\n\n"
        "def lambda_handler(event, context):\n"
        '    boto3.client("dynamodb").get_item(TableName=table_name(), Key={})\n'
    )
    result = policygen.generate(root, policygen.Options(handler="app.lambda_handler", target=TARGET))
    assert {(p.action, p.resource) for p in result.permissions} == {
        ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/predictions")
    }
