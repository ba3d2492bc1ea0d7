# Temporary: the demo command's home until the demo package lands (removed then).
from contactcenter.management.commands.demo import Command  # noqa: F401
