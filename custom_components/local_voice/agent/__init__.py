"""The conversation agent: one turn, the model backends, the tool guard, confirmations.

A sentence goes through ``turn``: a pending confirmation, HA's intents and
the repair of misheard commands (``understanding``), then the model
(``chat`` over a ``backend``), whose tool calls pass ``guard``. Every
answer is written to HA's chat log and announced as ``local_voice_command``
(``events``).
"""
