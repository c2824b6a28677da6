"""Keys shared by the demo home's platforms."""

from typing import Final

DOMAIN: Final = "demo_home"
DATA_SPEC: Final = f"{DOMAIN}_spec"
DATA_ENTITIES: Final = f"{DOMAIN}_entities"
