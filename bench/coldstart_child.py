"""One cold start, in this fresh process: import a handler and serve one request.

Run as a script, never imported: nothing but the standard library is loaded before
the clock starts. Usage:
``python -B coldstart_child.py CODE_DIR HANDLER EVENT_FILE CONTEXT_FILE``.
``CONTEXT_FILE`` is ``cdk_serverless_crud/local/context.py``, loaded by its path, not
through its package, whose imports would be done before the clock and shorten the
handler's own.
Prints one JSON line (the last line of stdout; the handler may log before it).
"""

import importlib
import json
import resource
import sys
import time


def _peak_rss_kb() -> int:
    """This process's peak resident set size, in kB.

    VmHWM, not getrusage's ru_maxrss: Linux carries the parent's peak over into
    ru_maxrss across fork and exec, so a big parent would hide a small child.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    # Not Linux: ru_maxrss (kB on Linux, bytes on macOS; only Linux is supported here).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _lambda_context(context_file: str) -> object:
    """A ``LambdaContext`` from the module at ``context_file``, run on its own.

    Executed rather than imported: the import machinery for a file outside sys.path
    (importlib.util) would load modules the handler's import then finds loaded.
    """
    namespace: dict[str, object] = {"__name__": "lambda_context"}
    with open(context_file) as file:
        exec(compile(file.read(), context_file, "exec"), namespace)
    return namespace["LambdaContext"](request_id="cold-start")


def main() -> None:
    code_dir, handler_name, event_file, context_file = sys.argv[1:5]
    context = _lambda_context(context_file)
    with open(event_file) as file:
        event = json.load(file)
    sys.path.insert(0, code_dir)
    module_name, _, attribute = handler_name.rpartition(".")

    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), attribute)
    imported = time.perf_counter()
    answer = handler(event, context)
    answered = time.perf_counter()

    peak_rss_kb = _peak_rss_kb()
    result = {
        "status": answer["statusCode"],
        "import_seconds": imported - started,
        "first_request_seconds": answered - imported,
        "total_seconds": answered - started,
        "peak_rss_bytes": peak_rss_kb * 1024,
    }
    print("\n" + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
