from typing import Final

__version__ = "2.0.0"

#: Version of the index file format (`schema_version`); one definition for models and store.
SCHEMA_VERSION: Final = 2
