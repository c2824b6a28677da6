"""Reading request bodies with caps: multipart uploads and JSON objects.

aiohttp would buffer a whole form before anyone looks at it; here every
part is read in chunks and refused (413) as soon as it passes its cap, and
text fields are bounded too. Unknown form fields are drained and ignored,
as OpenAI's clients send some (``temperature``...) we have no use for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from aiohttp import BodyPartReader
from aiohttp.http_exceptions import HttpProcessingError

from .errors import bad_request, too_large, unsupported_media

if TYPE_CHECKING:
    from aiohttp import web

_CHUNK: Final = 64 * 1024
_FORM_OVERHEAD: Final = 64 * 1024
MAX_TEXT_FIELD_BYTES: Final = 16 * 1024


@dataclass(slots=True)
class UploadForm:
    """The file and the text fields of a multipart form."""

    file: bytes | None = None
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


def check_declared_length(request: web.Request, cap: int) -> None:
    """Refuse at once a body whose declared length is over the cap."""
    if request.content_length is not None and request.content_length > cap:
        raise too_large(f"request body of {request.content_length} bytes is over {cap} bytes")


async def _read_part(part: BodyPartReader, cap: int, name: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(_CHUNK):
        data += chunk
        if len(data) > cap:
            raise too_large(f"'{name}' is over the cap of {cap} bytes", name)
    return bytes(data)


async def read_upload_form(request: web.Request, max_file_bytes: int) -> UploadForm:
    """Parse ``multipart/form-data``: 415 for another type, 413 past a cap."""
    if request.content_type != "multipart/form-data":
        raise unsupported_media("send the audio as multipart/form-data with a 'file' part")
    check_declared_length(request, max_file_bytes + _FORM_OVERHEAD)
    form = UploadForm()
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise bad_request("nested multipart bodies are not accepted")
            name = part.name or ""
            if name == "file":
                form.file = await _read_part(part, max_file_bytes, "file")
                form.filename = part.filename
            else:
                raw = await _read_part(part, MAX_TEXT_FIELD_BYTES, name[:64])
                if len(form.fields) < 64:  # noqa: PLR2004 - bounded number of fields
                    form.fields[name[:64]] = raw.decode("utf-8", errors="replace")
    except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError) as err:
        raise bad_request("malformed multipart body") from err
    return form


async def read_json_object(request: web.Request, cap: int) -> dict[str, Any]:
    """A JSON object body within ``cap`` bytes: 415, 413 or 400 otherwise."""
    if request.content_type != "application/json":
        raise unsupported_media("send the request as application/json")
    check_declared_length(request, cap)
    data = bytearray()
    while chunk := await request.content.read(_CHUNK):
        data += chunk
        if len(data) > cap:
            raise too_large(f"request body is over the cap of {cap} bytes")
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise bad_request("the body is not valid JSON") from err
    if not isinstance(value, dict):
        raise bad_request("the body must be a JSON object")
    return value
