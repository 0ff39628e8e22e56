"""Build the compiled loops (:mod:`gis.loops`, Cython); everything else is in ``setup.cfg``."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize([Extension("gis.loops", ["gis/loops.pyx"], extra_compile_args=["-O3"])],
                            compiler_directives={"language_level": 3}))
