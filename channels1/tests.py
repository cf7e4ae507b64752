"""The 1.x name `channels.tests` of the test helpers in `channels1.test`; importing
it warns."""

import warnings

from .test import *  # noqa: F401,F403
from .test import __all__  # noqa: F401

warnings.warn(
    f"{__name__} is deprecated: import the same names from {__name__[:-1]}", DeprecationWarning, stacklevel=2
)
