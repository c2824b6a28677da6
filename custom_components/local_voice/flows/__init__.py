"""The steps of the config flow, by kind of entry; ``config_flow`` puts them together."""
