"""Berth's notebook runner: which kernel a notebook gets, as Orchest's runner chose it (docs/jobs.md)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from berth_notebook_runner import NoKernel, cell_text, choose_kernel  # noqa: E402

HOST = {"python3": "/usr/share/jupyter/kernels/python3", "ir": "/usr/share/jupyter/kernels/ir"}
ENV = "orchest-kernel-5b2c7e1a-9d3f-4a6b-8c0e-1f2a3b4c5d6e"


def metadata(language=None, name=ENV, language_info=None):
    spec = {"name": name, "display_name": "X"}
    if language is not None:
        spec["language"] = language
    result = {"kernelspec": spec}
    if language_info is not None:
        result["language_info"] = {"name": language_info}
    return result


class ChooseKernel(unittest.TestCase):
    def choose(self, meta, available=HOST, where="the host"):
        return choose_kernel(meta, available, "nb.ipynb", where)

    def test_the_language_picks_the_kernel_not_orchests_kernel_name(self):
        self.assertEqual(self.choose(metadata("python")), "python3")
        self.assertEqual(self.choose(metadata("R")), "ir")
        self.assertEqual(self.choose(metadata("r")), "ir")

    def test_the_language_wins_over_a_kernel_of_the_notebooks_own_name(self):
        self.assertEqual(self.choose(metadata("python", name="ir")), "python3")

    def test_julia_takes_the_newest_versioned_ijulia_kernel(self):
        available = dict(HOST, **{"julia-1.9": "a", "julia-1.10": "b"})
        self.assertEqual(self.choose(metadata("julia"), available), "julia-1.10")

    def test_a_language_without_a_kernel_names_notebook_language_place_and_package(self):
        with self.assertRaises(NoKernel) as caught:
            self.choose(metadata("R"), {"python3": "x"}, where="the image localhost/berth/env:3")
        self.assertEqual(
            str(caught.exception),
            'notebook nb.ipynb is written in R (kernelspec "%s"), and the image localhost/berth/env:3 has no r kernel '
            "(kernels there: python3): install r-cran-irkernel (Debian; it registers the `ir` kernel system-wide)" % ENV,
        )
        with self.assertRaises(NoKernel) as caught:
            self.choose(metadata("python"), {})
        self.assertIn("(kernels there: none): install python3-ipykernel", str(caught.exception))
        with self.assertRaises(NoKernel) as caught:
            self.choose(metadata("julia"))
        self.assertIn("install IJulia", str(caught.exception))

    def test_no_recorded_language_uses_language_info_then_the_kernel_name_then_python3(self):
        self.assertEqual(self.choose(metadata(language_info="R")), "ir")
        self.assertEqual(self.choose(metadata(name="ir")), "ir")
        self.assertEqual(self.choose(metadata()), "python3")
        self.assertEqual(self.choose({}), "python3")

    def test_an_unknown_language_runs_only_with_a_kernel_of_the_notebooks_name(self):
        self.assertEqual(self.choose(metadata("scala", name="spylon"), dict(HOST, spylon="s")), "spylon")
        with self.assertRaises(NoKernel) as caught:
            self.choose(metadata("scala"))
        self.assertIn("is written in scala", str(caught.exception))
        self.assertIn('install a kernel named "%s"' % ENV, str(caught.exception))


class CellText(unittest.TestCase):
    def test_what_the_step_log_shows_of_each_output(self):
        self.assertEqual(cell_text({"output_type": "stream", "text": "hi\n"}), "hi\n")
        self.assertEqual(cell_text({"output_type": "execute_result", "data": {"text/plain": "42", "image/png": "…"}}), "42")
        self.assertEqual(cell_text({"output_type": "display_data", "data": {"image/png": "…"}}), "")
        self.assertEqual(cell_text({"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["a", "b"]}), "a\nb")


if __name__ == "__main__":
    unittest.main()
