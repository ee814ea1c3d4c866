"""Only the optional C kernels of the Chronicle log; everything else is in pyproject.toml.

`optional=True`: without a C compiler or OpenSSL's headers (Debian: libssl-dev) the install still succeeds and
`fractalops.planes.evidence._kernels` uses its pure-Python versions (same bytes, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "fractalops.planes.evidence._speedups",
            sources=["fractalops/planes/evidence/_speedups.c"],
            libraries=["crypto"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
            optional=True,
        )
    ]
)
