"""Where Home Assistant's public API differs between the releases Local Voice supports.

Local Voice supports HA 2026.2.3 and newer (tested on 2026.2.3, written
against 2026.11's source). Public APIs it uses that changed in between:
- HA 2026.3 replaced ``voluptuous`` with ``probatio`` (same names: Schema,
  Required, Optional, All, Range, In, Invalid ...). Config and option flows
  must hand HA the library HA itself validates with: ``vol`` below;
- tool schemas for a model: ``voluptuous_openapi.convert`` became
  ``probatio.to_openapi``;
- a tool's result: ``ToolResultContent.tool_result`` (a JSON object) became
  ``ToolResultContent.result`` (``llm.ToolResult`` with ``data`` and
  ``error``), and ``APIInstance.async_call_tool`` returns a ``ToolResult``.
Everything version-dependent goes through this module, so each difference
is decided once; ``tests/custom_components/local_voice/test_compat.py``
checks the branch the installed HA takes.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import llm

if TYPE_CHECKING:
    import voluptuous as vol
    from homeassistant.components import conversation
    from homeassistant.util.json import JsonObjectType
elif importlib.util.find_spec("probatio") is not None:
    import probatio as vol  # HA 2026.3+ validates with probatio, no longer voluptuous
else:
    import voluptuous as vol

__all__ = ["tool_result_data", "tool_result_failed", "tool_schema", "vol"]

HAS_TOOL_RESULT = hasattr(llm, "ToolResult")


def tool_schema(schema: vol.Schema, serializer: Any) -> dict[str, Any]:
    """A tool's parameter schema as the OpenAPI/JSON schema a model is given."""
    if hasattr(vol, "to_openapi"):
        return dict(vol.to_openapi(schema, custom_serializer=serializer))
    from voluptuous_openapi import convert  # type: ignore[import-untyped]  # noqa: PLC0415

    return dict(convert(schema, custom_serializer=serializer))


def tool_result_data(content: conversation.ToolResultContent) -> JsonObjectType:
    """The JSON object a tool returned."""
    result = getattr(content, "result", None)
    if result is not None:
        return result.data  # type: ignore[no-any-return]
    return content.tool_result


def tool_result_failed(content: conversation.ToolResultContent) -> bool:
    """True when the tool call failed (HA wrote an error result)."""
    result = getattr(content, "result", None)
    if result is not None:
        data = result.data
        return bool(result.error) or (
            isinstance(data, dict) and data.get("response_type") == "error"
        )
    data = content.tool_result
    return isinstance(data, dict) and ("error" in data or data.get("response_type") == "error")
