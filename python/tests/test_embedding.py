"""fastkernels in a program that embeds Python and starts it more than once.

The native module keeps some objects between calls (the general paths it imports, the Counter
type, interned method names, the cache of word strs). An embedding program that finalises Python
(`Py_FinalizeEx`) and initialises it again imports the module anew while the shared library, and
its globals, stay loaded: the module must forget the old interpreter's objects then, never use them.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import fastkernels

PROGRAM = r"""
#include <Python.h>
int main(int argc, char **argv) {
    const char *code = argv[1];
    for (int round = 0; round < 3; round++) {
        Py_Initialize();
        if (PyRun_SimpleString(code) != 0) return 10 + round;
        if (Py_FinalizeEx() != 0) return 20 + round;
    }
    return 0;
}
"""

CODE = """
import sys
sys.path.insert(0, {package_parent!r})
import fastkernels
counts = fastkernels.word_count('b a b A Straße')
assert list(counts.items()) == [('b', 2), ('a', 2), ('straße', 1)], counts
assert fastkernels.sort(['b', 'a']) == ['a', 'b']  # the general path, imported by the native one
assert fastkernels.sort((3.5, 1, 2)) == [1, 2, 3.5]
assert fastkernels.sum([1, 2, 3]) == 6
items = [3, 1, 2]
fastkernels.sort_inplace(items)
assert items == [1, 2, 3]
print('round ok', flush=True)
"""


def embedding_build_flags():
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        pytest.skip("this Python has no shared libpython to embed")
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    libdir = sysconfig.get_config_var("LIBDIR")
    return compiler, [f"-I{sysconfig.get_paths()['include']}", f"-L{libdir}",
                      f"-lpython{sysconfig.get_config_var('LDVERSION')}", f"-Wl,-rpath,{libdir}"]


def test_the_module_survives_python_started_again(tmp_path):
    compiler, flags = embedding_build_flags()
    source = tmp_path / "embed.c"
    source.write_text(PROGRAM)
    program = tmp_path / "embed"
    subprocess.run([compiler, str(source), "-o", str(program), *flags], check=True, capture_output=True)
    package_parent = str(Path(fastkernels.__file__).resolve().parent.parent)
    environment = dict(os.environ, PYTHONHOME=sys.base_prefix,
                       PYTHONPATH=os.pathsep.join(p for p in sys.path if p))  # the venv's site-packages
    completed = subprocess.run([str(program), CODE.format(package_parent=package_parent)], env=environment,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("round ok") == 3
