"""The chat template passed to llama.cpp for the bundled Qwen2.5-Coder models.

It is Qwen2.5's own tool-use template (the one embedded in the 1.5B GGUF)
with one line fixed. The embedded template explains the tool-call format
with doubled braces, ``{{"name": <function-name>, ...}}`` (an escape meant
for Python's ``str.format`` that Jinja prints literally), and the model
copies the doubled braces into its calls, which then parse as nothing. Here
the example has single braces; everything else is unchanged: tools listed
as JSON inside ``<tools></tools>`` in the system message, assistant tool
calls replayed inside ``<tool_call></tool_call>``, tool results sent back as
a user turn inside ``<tool_response></tool_response>``. (The 0.5B model's
embedded template already has the single braces and is otherwise
identical, so both models use this one.)

Even with the fix, these models usually answer a tool call as a bare JSON
object in the message text rather than inside ``<tool_call>`` tags, so
llama.cpp's tool-call parser leaves ``tool_calls`` empty: clients must
accept a bare JSON object that names a known tool as a call.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final

TEMPLATE_FILE: Final = "qwen25_tools.jinja"
QWEN25_TOOL_TEMPLATE: Final = (files(__package__) / TEMPLATE_FILE).read_text(encoding="utf-8")
