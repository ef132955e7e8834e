"""Notes kept with PynamoDB in eu-central-1: create a note, edit it (the model stamps each save),
or archive it (its subclass clears the text on delete)."""

from models import ArchivedNote, Note


def handler(event, context):
    if event["action"] == "archive":
        ArchivedNote.get(event["id"]).delete()
        return {"archived": event["id"]}
    if event["action"] == "edit":
        note = Note.get(event["id"])
        note.text = event["text"]
    else:
        note = Note(event["id"], text=event["text"])
    note.save()
    return {"saved": note.pk, "updated": note.updated}
