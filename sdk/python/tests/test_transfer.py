"""orchest.transfer: the behaviours Orchest's SDK tests check (tests/test_transfer.py in
orchest/orchest), on Berth's disk store. Pipeline: A ("uuid-1") and C ("uuid-3") feed B ("uuid-2"),
B's incoming_connections list A first; D ("uuid-4") also reads A."""
import contextlib
import io
import json
import os
import tempfile
import unittest
import warnings
from unittest import mock

import helpers  # noqa: F401  (puts the SDK on sys.path)

import orchest
from orchest import transfer

A, B, C, D = "uuid-1", "uuid-2", "uuid-3", "uuid-4"


def step(uuid, title, incoming):
    return {"uuid": uuid, "title": title, "file_path": f"{title}.py", "incoming_connections": incoming, "environment": "", "parameters": {}}


def pipeline(settings=None):
    return {
        "name": "transfer",
        "uuid": "99999999-8888-4777-8666-555555555555",
        "version": "1.0.0",
        "settings": settings or {},
        "parameters": {},
        "steps": {A: step(A, "A", []), B: step(B, "B", [A, C]), C: step(C, "C", []), D: step(D, "D", [A])},
    }


class Point:
    """A user's class: pickled by reference, so the reading step must be able to import it."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


class TransferTestCase(unittest.TestCase):
    settings = None

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.root = tmp.name
        self.pipeline_path = os.path.join(self.root, "pipeline.orchest")
        self.write_pipeline(self.settings)
        self.transfer_dir = os.path.join(self.root, "run-1", "transfer")
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("ORCHEST_", "BERTH_"))}
        clean.update(
            {
                "ORCHEST_PIPELINE_PATH": self.pipeline_path,
                "ORCHEST_SESSION_TYPE": "noninteractive",
                "BERTH_TRANSFER_DIR": self.transfer_dir,
            }
        )
        patcher = mock.patch.dict(os.environ, clean, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        # Each test is a fresh step process: no earlier output or get_inputs call.
        for name, value in (("_last_output_name", -1), ("_get_inputs_called", False)):
            p = mock.patch.object(transfer, name, value)
            p.start()
            self.addCleanup(p.stop)
        p = mock.patch.object(orchest.Config, "silence_multiple_data_transfer_calls_warning", False)
        p.start()
        self.addCleanup(p.stop)

    def write_pipeline(self, settings):
        with open(self.pipeline_path, "w") as f:
            json.dump(pipeline(settings), f)

    def as_step(self, uuid):
        """Do as if we are step ``uuid`` (a new process: the SDK's once-per-step state is reset)."""
        os.environ["ORCHEST_STEP_UUID"] = uuid
        transfer._last_output_name = -1
        transfer._get_inputs_called = False


class Output(TransferTestCase):
    def test_named_and_unnamed_python_objects_round_trip(self):
        for data in ([1, 2.5, "x", None], {"k": (1, 2)}, b"\x00\xff", Point(3, 4), {1, 2}):
            for name in (None, "myname"):
                with self.subTest(data=data, name=name):
                    self.as_step(A)
                    orchest.output(data, name=name)
                    self.as_step(C)
                    orchest.output("c", name=None)
                    self.as_step(B)
                    inputs = orchest.get_inputs()
                    if name is None:
                        self.assertEqual(inputs, {"unnamed": [data, "c"]})
                    else:
                        self.assertEqual(inputs, {"unnamed": ["c"], "myname": data})

    def test_disk_layout_is_orchests_head_and_data_file(self):
        self.as_step(A)
        orchest.output_to_disk({"a": 1}, name="features")
        step_dir = os.path.join(self.transfer_dir, A)
        self.assertEqual(sorted(os.listdir(step_dir)), ["HEAD", f"{A}.PICKLE"])
        with open(os.path.join(step_dir, "HEAD")) as f:
            timestamp, serialization, name = f.read().split("; ")
        self.assertEqual((serialization, name), ("PICKLE", "features"))
        self.assertRegex(timestamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertEqual(orchest.transfer.get_output_disk(A, orchest.Serialization.PICKLE), {"a": 1})

    def test_inputs_follow_incoming_connections_not_output_order(self):
        self.as_step(C)
        orchest.output("from C", name=None)
        self.as_step(A)
        orchest.output("from A", name=None)
        self.as_step(B)
        self.assertEqual(orchest.get_inputs()["unnamed"], ["from A", "from C"])

    def test_multiple_named_inputs(self):
        self.as_step(C)
        orchest.output([3], name="output3")
        self.as_step(A)
        orchest.output([1], name="output1")
        self.as_step(B)
        inputs = orchest.get_inputs()
        self.assertEqual(len(inputs), 3)
        self.assertEqual(inputs, {"unnamed": [], "output1": [1], "output3": [3]})

    def test_a_new_output_replaces_the_old_one_with_a_warning(self):
        self.as_step(A)
        orchest.output("first", name="one")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            orchest.output("second", name=None)
        self.assertEqual(len(caught), 1)
        self.assertIn("Outputting data multiple times will overwrite", str(caught[0].message))
        self.as_step(C)
        orchest.output("c", name=None)
        self.as_step(B)
        self.assertEqual(orchest.get_inputs(), {"unnamed": ["second", "c"]})

    def test_the_same_name_again_and_silenced_warnings_say_nothing(self):
        self.as_step(A)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            orchest.output(1, name="same")
            orchest.output(2, name="same")
            orchest.Config.silence_multiple_data_transfer_calls_warning = True
            orchest.output(3, name="other")
        self.assertEqual(caught, [])

    def test_invalid_names(self):
        self.as_step(A)
        for name, message in (("unnamed", "reserved"), ("a; b", "cannot be part of the `name`"), (3, "string or `None`")):
            with self.subTest(name=name):
                for function in (orchest.output, orchest.output_to_disk, orchest.transfer.output):
                    with self.assertRaises(orchest.DataInvalidNameError) as caught:
                        function("data", name)
                    self.assertIn(message, str(caught.exception))
        self.assertFalse(os.path.exists(self.transfer_dir), "nothing is written for an invalid name")

    def test_output_to_memory_writes_to_disk(self):
        self.as_step(A)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            orchest.output_to_memory("in memory?", name="m", disk_fallback=False)
        self.assertIn("Memory passing is not supported by Berth", str(caught[0].message))
        self.assertTrue(os.path.exists(os.path.join(self.transfer_dir, A, f"{A}.PICKLE")))

    def test_unpicklable_data(self):
        self.as_step(A)
        with self.assertRaises(orchest.SerializationError) as caught:
            orchest.output(lambda: 1, name=None)
        self.assertIn("Could not pickle data", str(caught.exception))

    def test_not_a_step(self):
        with self.assertRaises(orchest.StepUUIDResolveError) as caught:
            orchest.output(1, name=None)
        self.assertIn("Failed to determine where to output data to", str(caught.exception))
        with self.assertRaises(orchest.StepUUIDResolveError):
            orchest.get_inputs()
        del os.environ["ORCHEST_PIPELINE_PATH"]
        self.as_step(A)
        with self.assertRaises(orchest.PipelineDefinitionNotFoundError):
            orchest.output(1, name=None)


class Inputs(TransferTestCase):
    def test_missing_output_names_the_step(self):
        self.as_step(A)
        orchest.output("a", name=None)
        for ignore_failure in (False, True):
            self.as_step(B)
            with self.assertRaises(orchest.OutputNotFoundError) as caught:
                orchest.get_inputs(ignore_failure=ignore_failure)
            self.assertIn('Output from incoming step "C" ("uuid-3") cannot be found. Try rerunning it.', str(caught.exception))

    def test_ignore_failure_gives_none_for_an_unreadable_output(self):
        for uuid in (A, C):
            self.as_step(uuid)
            orchest.output(uuid, name=None)
        os.unlink(os.path.join(self.transfer_dir, C, f"{C}.PICKLE"))
        self.as_step(B)
        with self.assertRaises(orchest.OutputNotFoundError):
            orchest.get_inputs()
        self.as_step(B)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(orchest.get_inputs(ignore_failure=True, verbose=True), {"unnamed": [A, None]})
        self.assertEqual(out.getvalue(), 'Retrieved input from step: "A"\nFailed to retrieve input from step: "C"\n')

    def test_name_collision(self):
        for uuid in (A, C):
            self.as_step(uuid)
            orchest.output(uuid, name="same")
        self.as_step(B)
        with self.assertRaises(orchest.InputNameCollisionError) as caught:
            orchest.get_inputs()
        self.assertIn("same: ['A', 'C']", str(caught.exception))

    def test_corrupt_output(self):
        for uuid in (A, C):
            self.as_step(uuid)
            orchest.output(uuid, name=None)
        with open(os.path.join(self.transfer_dir, A, f"{A}.PICKLE"), "wb") as f:
            f.write(b"not a pickle")
        self.as_step(B)
        with self.assertRaises(orchest.DeserializationError) as caught:
            orchest.get_inputs()
        self.assertIn('Output from incoming step "uuid-1"', str(caught.exception))

    def test_get_inputs_twice_warns(self):
        for uuid in (A, C):
            self.as_step(uuid)
            orchest.output(uuid, name=None)
        self.as_step(B)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            orchest.get_inputs()
            orchest.get_inputs()
        self.assertEqual(len(caught), 1)
        self.assertIn("Calling `get_inputs` more than once", str(caught[0].message))

    def test_a_step_without_incoming_steps_gets_no_inputs(self):
        self.as_step(A)
        self.assertEqual(orchest.get_inputs(), {"unnamed": []})

    def test_runs_never_see_each_others_outputs(self):
        for uuid in (A, C):
            self.as_step(uuid)
            orchest.output(uuid, name=None)
        os.environ["BERTH_TRANSFER_DIR"] = os.path.join(self.root, "run-2", "transfer")
        self.as_step(B)
        with self.assertRaises(orchest.OutputNotFoundError):
            orchest.get_inputs()

    def test_orchests_step_data_dir_override_and_fallback(self):
        with mock.patch.object(orchest.Config, "STEP_DATA_DIR", os.path.join(self.root, "custom", "{step_uuid}")):
            self.assertEqual(orchest.Config.get_step_data_dir(A), os.path.join(self.root, "custom", A))
        del os.environ["BERTH_TRANSFER_DIR"]
        os.environ["ORCHEST_PROJECT_DIR"] = "/p"
        os.environ["ORCHEST_PIPELINE_UUID"] = "pipe"
        self.assertEqual(orchest.Config.get_step_data_dir(A), "/p/.orchest/pipelines/pipe/data/uuid-1")


class Eviction(TransferTestCase):
    """Orchest evicted an output once every step after it had read it: in jobs always, in
    interactive runs when settings.auto_eviction is on, never in interactive kernels."""

    def run_a_then_readers(self, *readers):
        for uuid in (A, C):
            self.as_step(uuid)
            orchest.output(uuid, name=None)
        for reader in readers:
            self.as_step(reader)
            orchest.get_inputs()

    def a_output_exists(self):
        return os.path.exists(os.path.join(self.transfer_dir, A, "HEAD"))

    def test_job_steps_evict_once_every_child_has_read(self):
        os.environ["ORCHEST_MEMORY_EVICTION"] = "1"
        self.run_a_then_readers(B)
        self.assertTrue(self.a_output_exists(), "D has not read A's output yet")
        self.as_step(D)
        self.assertEqual(orchest.get_inputs(), {"unnamed": [A]})
        self.assertFalse(self.a_output_exists())
        self.assertEqual(os.listdir(os.path.join(self.transfer_dir, A)), [])
        self.assertFalse(os.path.exists(os.path.join(self.transfer_dir, C, "HEAD")), "B was C's only child")
        self.as_step(B)
        with self.assertRaises(orchest.OutputNotFoundError):
            orchest.get_inputs()

    def test_a_new_output_is_not_evicted_by_reads_of_the_old_one(self):
        os.environ["ORCHEST_MEMORY_EVICTION"] = "1"
        self.run_a_then_readers(B)
        self.as_step(A)
        orchest.output("new", name=None)
        self.as_step(D)
        orchest.get_inputs()
        self.assertTrue(self.a_output_exists(), "B read the old output, not this one")

    def test_interactive_runs_follow_the_pipeline_setting(self):
        os.environ["ORCHEST_MEMORY_EVICTION"] = "1"
        os.environ["ORCHEST_SESSION_TYPE"] = "interactive"
        self.run_a_then_readers(B, D)
        self.assertTrue(self.a_output_exists(), "auto_eviction is off")
        self.write_pipeline({"auto_eviction": True})
        self.run_a_then_readers(B, D)
        self.assertFalse(self.a_output_exists())

    def test_never_without_orchest_memory_eviction(self):
        self.write_pipeline({"auto_eviction": True})
        self.run_a_then_readers(B, D)
        self.assertTrue(self.a_output_exists())


try:
    import pyarrow as pa
except ImportError:
    pa = None


@unittest.skipUnless(pa is not None, "pyarrow is not installed (Arrow serialization is optional)")
class Arrow(TransferTestCase):
    def round_trip(self, data):
        self.as_step(A)
        orchest.output(data, name="d")
        self.as_step(C)
        orchest.output(None, name=None)
        self.as_step(B)
        return orchest.get_inputs()["d"]

    def test_tables_and_batches(self):
        batch = pa.record_batch([pa.array([1, 2, None]), pa.array(["a", None, "c"])], names=["f0", "f1"])
        table = pa.Table.from_batches([batch])
        self.assertTrue(self.round_trip(batch).equals(batch))
        self.assertTrue(self.round_trip(table).equals(table))
        self.assertTrue(os.path.exists(os.path.join(self.transfer_dir, A, f"{A}.ARROW_TABLE")))

    def test_pandas_dataframes(self):
        try:
            import pandas as pd
        except ImportError:
            self.skipTest("pandas is not installed")
        frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]}, index=[10, 20, 30])
        self.assertTrue(self.round_trip(frame).equals(frame))


if __name__ == "__main__":
    unittest.main()
