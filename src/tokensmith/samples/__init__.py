"""The dashboard's "Show API Instructions" code samples (curl, Python, JavaScript, Ruby, Go).

:func:`render_samples` fills one template per language with the deployment's token URL, the client
ID, the scope and the secret (or a placeholder); each sample is a complete program modelled on the
vendor guide in seed 000 (HTTP Basic, ``grant_type=client_credentials``, the ``exp`` read from the JWT).
"""

from tokensmith.samples.render import API_URL_PLACEHOLDER, SECRET_PLACEHOLDER, Sample, render_samples

__all__ = ["API_URL_PLACEHOLDER", "SECRET_PLACEHOLDER", "Sample", "render_samples"]
