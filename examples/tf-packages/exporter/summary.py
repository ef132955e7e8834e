def build(event):
    return {"day": event["day"], "count": len(event.get("items", []))}
