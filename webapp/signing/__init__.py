"""Digital signatures on result documents: unit keys (a local demo CA or the province's real
keys), PAdES signing with pyHanko, and verification against the configured trust roots.

``keys`` and ``pades`` do not import Flask (the CLI and tests use them directly); ``service``
builds the key store from the app's settings.
"""

import warnings

from cryptography.utils import CryptographyDeprecationWarning

# pyHanko imports cryptography's DSA types, which cryptography 51 deprecates with a warning printed
# on every start; nothing here signs or verifies with DSA.
warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning)
