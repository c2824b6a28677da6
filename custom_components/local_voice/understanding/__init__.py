"""Understanding what was said: HA's intents first, then the repair of misheard commands.

The sentence is normalised once (``text.hear``); everything after works on
that ``Heard``. ``recognizer`` is the only module that talks to HA's intent
recogniser, ``safety`` says what a match would do before it runs, and
``repair`` orchestrates the search for a sentence HA understands when what
was heard is not one (``readings``, ``spans``, ``names``, ``sentences``).
"""
