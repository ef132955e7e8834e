"""How `policygen record` starts a Python interpreter whose options skip the start-up hook (record
stage, parent side).

The recorder is installed by a ``sitecustomize`` on ``PYTHONPATH``; ``-S`` (no ``site``, so no
``sitecustomize``), ``-E`` (``PYTHON*`` variables ignored, ``PYTHONPATH`` among them) and ``-I``
(isolated: ``-E`` and ``-s``) skip it. When the command itself starts Python so (``python -I -m
pytest``), it is run through ``-c`` with a bootstrap that installs the recorder, then runs the module,
script or code as the interpreter would (`runpy`, as ``-m`` does), with the user's options kept, so
the isolation the user asked for holds for everything else. Interpreters started so deeper down (a
test runner spawning ``sys.executable -I``) cannot be reached this way; `record` says so when no
Python process started the recorder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HOOK_SKIPPING = {
    "S": "-S (no site module, so no sitecustomize)",
    "E": "-E (PYTHONPATH ignored)",
    "I": "-I (isolated: PYTHONPATH and user site ignored)",
}
_PYTHON = re.compile(r"python(\d+(\.\d+)*t?)?(\.exe)?")
_VALUED = frozenset("WX")  # one-letter options that take a value
_NOTHING_RUN = frozenset("hV?")  # help and version: no program runs


@dataclass(frozen=True)
class Launch:
    """``python [flags] (-m MODULE | -c CODE | SCRIPT) [args]`` with an option skipping the hook."""

    program: str
    flags: tuple[str, ...]
    mode: str  # "module", "command" or "script"
    target: str
    arguments: tuple[str, ...]
    skipping: tuple[str, ...]  # the options that skip the hook, as HOOK_SKIPPING names them

    def command(self, hook_folder: Path) -> tuple[str, ...]:
        """The command that runs the same program with the recorder installed first."""
        return (self.program, *self.flags, "-c", bootstrap(hook_folder, self.mode, self.target), *self.arguments)


def parse(command: Sequence[str]) -> Launch | None:
    """The command as such a launch; None when it is not one (not Python, no skipping option, or
    nothing to run: ``--version``, stdin)."""
    if not command or not _PYTHON.fullmatch(Path(command[0]).name):
        return None
    flags: list[str] = []
    skipping: list[str] = []
    index = 1
    while index < len(command):
        arg = command[index]
        if not arg.startswith("-") or arg == "-" or arg.startswith("--"):
            break
        position = 1
        while position < len(arg):
            letter = arg[position]
            rest = arg[position + 1 :]
            if letter in "mc" or letter in _VALUED:
                value = rest
                if not value:
                    index += 1
                    if index >= len(command):
                        return None
                    value = command[index]
                if letter in _VALUED:
                    flags += [f"-{letter}", value]
                    break
                if not skipping:
                    return None
                mode = "module" if letter == "m" else "command"
                return Launch(command[0], tuple(flags), mode, value, tuple(command[index + 1 :]), tuple(skipping))
            if letter in _NOTHING_RUN:
                return None
            if letter in HOOK_SKIPPING and HOOK_SKIPPING[letter] not in skipping:
                skipping.append(HOOK_SKIPPING[letter])
            flags.append(f"-{letter}")
            position += 1
        index += 1
    if index >= len(command) or not skipping or command[index] == "-" or command[index].startswith("--"):
        return None  # the interactive prompt, stdin, or a long option (--version...)
    return Launch(command[0], tuple(flags), "script", command[index], tuple(command[index + 1 :]), tuple(skipping))


_BOOTSTRAP = """\
import os, runpy, sys
sys.path.insert(0, {folder!r})
try:
    import _policygen_record_hook
    _policygen_record_hook.install()
except Exception:
    pass
finally:
    del sys.path[0]
del sys.argv[0]
mode, target = {mode!r}, {target!r}
if mode == "module":
    if sys.path and sys.path[0] == "":
        sys.path[0] = os.getcwd()
    sys.argv.insert(0, target)
    runpy._run_module_as_main(target)
elif mode == "script":
    if sys.path and sys.path[0] == "":
        sys.path[0] = os.path.dirname(os.path.abspath(target))
    sys.argv.insert(0, target)
    runpy.run_path(target, run_name="__main__")
else:
    sys.argv.insert(0, "-c")
    del os, runpy, mode, target
    exec(compile({target!r}, "<string>", "exec"))
"""


def bootstrap(folder: Path, mode: str, target: str) -> str:
    """The ``-c`` code: install the recorder from ``folder``, then run the program as Python would
    (``sys.path[0]`` as ``-m``/a script sets it, unless ``-P``/``-I`` asked for none)."""
    return _BOOTSTRAP.format(folder=str(folder), mode=mode, target=target)
