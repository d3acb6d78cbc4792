"""Runs one notebook step the way Orchest's step runner did (docs/jobs.md, "Notebook kernels").

Orchest saved every notebook with the kernelspec ``orchest-kernel-<environment uuid>``, a kernel
that exists only inside Orchest. Its runner therefore chose the kernel from the notebook's
``metadata.kernelspec.language`` and put the original kernelspec back into the notebook it wrote.
This script does the same with the kernels installed where the step runs (an environment image,
or the host on the local runtime), so a notebook made in Orchest runs unchanged.

Usage: python3 berth_notebook_runner.py NOTEBOOK [--output-dir DIR] [--where "the image X"]

Exit codes: 0 success, 1 a cell (or the kernel) failed, 2 the notebook cannot be read or the
python lacks nbclient, 3 no kernel for the notebook's language. The executed notebook, with its
outputs (and the failing cell's error), is written in place or to DIR/<notebook file name>.

Standard library plus Jupyter's own packages only: it runs with whatever python3 the step has.
"""
import argparse
import copy
import os
import re
import sys
import warnings

NO_KERNEL_EXIT = 3
UNREADABLE_EXIT = 2

# language (lower case) -> (kernel names tried in order, what to install when none exists).
# Orchest mapped python -> python3, r -> ir, julia -> julia-<version>, javascript -> javascript.
KERNELS = {
    "python": (["python3", "python"], "python3-ipykernel (Debian; pip: ipykernel)"),
    "r": (["ir"], "r-cran-irkernel (Debian; it registers the `ir` kernel system-wide)"),
    "julia": (["julia"], "IJulia into Julia (`using Pkg; Pkg.add(\"IJulia\")`; Debian packages neither Julia's kernel nor IJulia)"),
    "javascript": (["javascript"], "IJavascript (`npm install -g ijavascript && ijsinstall`; not packaged by Debian)"),
}

# Colours of tracebacks: kept in the notebook, left out of the plain-text step log.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# Kernels whose registered name carries a version (IJulia installs `julia-1.9`, …).
VERSIONED = ("julia",)


class NoKernel(Exception):
    """The notebook's language has no kernel where the step runs."""


def log(message):
    print("[berth] %s" % message, file=sys.stderr, flush=True)


def notebook_language(metadata):
    """The language Orchest read (kernelspec.language), else the one the last run recorded."""
    kernelspec = metadata.get("kernelspec") or {}
    language = kernelspec.get("language") or (metadata.get("language_info") or {}).get("name") or ""
    return str(language).strip().lower()


def version_key(kernel_name):
    """`julia-1.10` after `julia-1.9`: the numbers of the name, compared as numbers."""
    return [int(part) for part in re.findall(r"\d+", kernel_name)]


def choose_kernel(metadata, available, notebook, where):
    """The kernel to run with, by the notebook's language; raises NoKernel with the fix."""
    kernelspec = metadata.get("kernelspec") or {}
    spec_name = kernelspec.get("name") or ""
    language = notebook_language(metadata)
    names = sorted(available)
    if language in KERNELS:
        candidates, install = KERNELS[language]
        for name in candidates:
            if name in available:
                return name
            if name in VERSIONED:
                versioned = sorted((n for n in names if n.startswith(name + "-")), key=version_key)
                if versioned:
                    return versioned[-1]
        raise NoKernel(
            "notebook %s is written in %s (kernelspec \"%s\"), and %s has no %s kernel (kernels there: %s): install %s"
            % (notebook, kernelspec.get("language") or language, spec_name, where, language, ", ".join(names) or "none", install)
        )
    # A language Orchest had no kernel for, or none recorded: the notebook's own kernel if it is
    # installed here; a notebook that names no language is taken for Python, as Jupyter does.
    if spec_name in available:
        return spec_name
    if not language and "python3" in available:
        return "python3"
    known = ", ".join(sorted(KERNELS))
    raise NoKernel(
        "notebook %s is written in %s (kernelspec \"%s\"), and %s has no kernel for it (kernels there: %s): "
        "set the notebook's kernelspec language to one of %s, or install a kernel named \"%s\""
        % (notebook, language or "no recorded language", spec_name, where, ", ".join(names) or "none", known, spec_name)
    )


def cell_text(output):
    """What a cell output shows as text in the step log (Orchest logged stream and text/plain)."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("text", "")
    if kind == "error":
        return "\n".join(output.get("traceback") or ["%s: %s" % (output.get("ename"), output.get("evalue"))])
    return (output.get("data") or {}).get("text/plain", "")


def make_client(nbclient, nbformat):
    class StepClient(nbclient.NotebookClient):
        """Prints cell outputs to the step log as they arrive, and skips cells tagged `skip` (as Orchest did)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.printed = set()

        def output(self, outs, msg, display_id, cell_index):
            try:
                out = nbformat.v4.output_from_msg(msg)
            except ValueError:
                out = None
            if out is not None:
                text = cell_text(out)
                if text:
                    prefix = "" if cell_index in self.printed else "[%d] " % (cell_index + 1)
                    self.printed.add(cell_index)
                    text = ANSI.sub("", text)
                    sys.stdout.write(prefix + text + ("" if text.endswith("\n") else "\n"))
                    sys.stdout.flush()
            return super().output(outs, msg, display_id, cell_index)

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if "skip" in (cell.get("metadata", {}).get("tags") or []):
                return cell
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    return StepClient


def write_notebook(nbformat, nb, target):
    """Atomically: a reader never sees half a notebook."""
    temp = os.path.join(os.path.dirname(target) or ".", ".%s.%d.tmp" % (os.path.basename(target), os.getpid()))
    with open(temp, "w", encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    os.replace(temp, target)


def main(argv):
    parser = argparse.ArgumentParser(description="Run a notebook step with the kernel of its language.")
    parser.add_argument("notebook")
    parser.add_argument("--output-dir", default=None, help="where the executed notebook goes (default: in place)")
    parser.add_argument("--where", default="the host", help="where the step runs, for messages")
    args = parser.parse_args(argv)
    # Notebooks of nbformat 4.5 saved without cell ids are fine to run: nbformat's warning is noise in the log.
    warnings.filterwarnings("ignore", message="Code cell is missing an id field")
    # ipykernel's debugger warns about frozen modules at every kernel start; nobody debugs a step.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        import nbclient
        import nbformat
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError as error:
        log("cannot run notebook %s: %s (%s) lacks Jupyter's packages (%s): install python3-nbconvert and python3-ipykernel"
            % (args.notebook, sys.executable, args.where, error))
        return UNREADABLE_EXIT
    try:
        with open(args.notebook, encoding="utf-8") as handle:
            nb = nbformat.read(handle, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable notebook is the same failure
        log("cannot read notebook %s: %s" % (args.notebook, error))
        return UNREADABLE_EXIT
    original = copy.deepcopy(nb.metadata.get("kernelspec"))
    try:
        kernel = choose_kernel(nb.metadata, KernelSpecManager().find_kernel_specs(), args.notebook, args.where)
    except NoKernel as error:
        log(str(error))
        return NO_KERNEL_EXIT
    log("notebook %s (language %s) runs with kernel %s" % (args.notebook, notebook_language(nb.metadata) or "not recorded", kernel))
    directory = os.path.dirname(os.path.abspath(args.notebook))
    client = make_client(nbclient, nbformat)(nb, kernel_name=kernel, timeout=None, resources={"metadata": {"path": directory}})
    status = 0
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as error:
        log("a cell of notebook %s failed: %s" % (args.notebook, str(error).strip().splitlines()[-1] if str(error).strip() else error))
        status = 1
    except Exception as error:  # noqa: BLE001 - the kernel died or did not start: the step fails with why
        log("notebook %s could not run with kernel %s: %s: %s" % (args.notebook, kernel, type(error).__name__, error))
        status = 1
    # The written notebook keeps its own kernelspec (Orchest's `orchest-kernel-<uuid>`), not the kernel it ran with.
    if original is None:
        nb.metadata.pop("kernelspec", None)
    else:
        nb.metadata["kernelspec"] = original
    target = os.path.join(args.output_dir, os.path.basename(args.notebook)) if args.output_dir else args.notebook
    if args.output_dir:
        os.makedirs(args.output_dir, exist_ok=True)
    write_notebook(nbformat, nb, target)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
