"""Build of the optional C accelerator (see README.md in this folder)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "_readiness_speedups",
            ["src/_readiness_speedups.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
        )
    ]
)
