"""One cold start, in this fresh process: import a handler and serve one GET.

Run as a script, never imported: nothing but the standard library is loaded before
the clock starts. Usage: ``python -B coldstart_child.py CODE_DIR HANDLER EVENT_FILE``.
Prints one JSON line (the last line of stdout; the handler may log before it).
"""

import importlib
import json
import resource
import sys
import time


class _Context:
    aws_request_id = "cold-start"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


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


def main() -> None:
    code_dir, handler_name, event_file = sys.argv[1:4]
    with open(event_file) as file:
        event = json.load(file)
    sys.path.insert(0, code_dir)
    module_name, _, attribute = handler_name.rpartition(".")

    started = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), attribute)
    imported = time.perf_counter()
    answer = handler(event, _Context())
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
