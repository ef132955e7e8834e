"""What a deployment file says about a function's events, shared by the readers."""

from __future__ import annotations

from collections.abc import Callable

from policygen.model import Hole, Text


def object_keys(prefix: object, suffix: object) -> tuple[Text, ...]:
    """The object keys an S3 notification filter lets through, or () if it names none."""
    if not isinstance(prefix, str) and not isinstance(suffix, str):
        return ()
    rest = Hole("the rest of the object key of the S3 event")
    return (
        Text.join(prefix if isinstance(prefix, str) else "", rest, suffix if isinstance(suffix, str) else ""),
    )


def pattern_fields(
    pattern: object, texts_of: Callable[[object], list[Text]], path: tuple[str, ...] = ()
) -> tuple[tuple[tuple[str, ...], tuple[Text, ...]], ...]:
    """The event fields an EventBridge pattern fixes: a list of exact values (or prefixes) at a
    path. A field matched any other way (anything-but, numeric, exists) is not fixed."""
    out: list[tuple[tuple[str, ...], tuple[Text, ...]]] = []
    if isinstance(pattern, dict) and not any(str(k).startswith("Fn::") or k == "Ref" for k in pattern):
        for key, value in pattern.items():
            out.extend(pattern_fields(value, texts_of, (*path, str(key))))
    elif isinstance(pattern, list) and path and pattern:
        values: list[Text] = []
        for item in pattern:
            if isinstance(item, dict) and set(item) == {"prefix"} and isinstance(item["prefix"], str):
                values.append(Text.join(item["prefix"], Hole(f"the rest of the event's {'.'.join(path)}")))
            elif isinstance(item, dict) and not any(str(k).startswith("Fn::") or k == "Ref" for k in item):
                return ()  # an operator: the field is not fixed
            else:
                values.extend(texts_of(item))
        out.append((path, tuple(values)))
    return tuple(out)
