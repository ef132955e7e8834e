import os
from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model


class Note(Model):
    class Meta:
        table_name = os.environ["NOTES_TABLE"]
        if "NOTES_LOCAL" in os.environ:  # DynamoDB Local while developing
            host = "http://localhost:8000"
        else:
            region = "eu-central-1"
            host = "https://dynamodb.eu-central-1.amazonaws.com"

    pk = UnicodeAttribute(hash_key=True)
    text = UnicodeAttribute()
    updated = UnicodeAttribute(null=True)

    def save(self, condition=None, **kwargs):
        self.updated = datetime.now(UTC).isoformat()
        super(Note, self).save()  # noqa: UP008 - the two-argument spelling is the case tested


class ArchivedNote(Note):
    def delete(self, condition=None, **kwargs):
        self.text = ""
        return super().delete()
