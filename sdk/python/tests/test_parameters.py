import os
import unittest

from helpers import StepTestCase

import orchest
from orchest import parameters


class Parameters(StepTestCase):
    def test_get_params_returns_step_then_pipeline_parameters(self):
        self.job_env()
        self.assertEqual(parameters.get_params(), ({"rows": 10}, {"greeting": "hello", "count": 3}))
        self.assertEqual(orchest.get_params(), parameters.get_params())

    def test_single_parameters_with_defaults(self):
        self.job_env()
        self.assertEqual(orchest.get_step_param("rows"), 10)
        self.assertEqual(orchest.get_step_param("missing", "fallback"), "fallback")
        self.assertIsNone(orchest.get_step_param("missing"))
        self.assertEqual(orchest.get_pipeline_param("greeting"), "hello")
        self.assertEqual(orchest.get_pipeline_param("missing", 7), 7)

    def test_interactive_sessions_read_the_same_file(self):
        self.interactive_env("http://127.0.0.1:1")
        self.assertEqual(orchest.get_pipeline_param("count"), 3)

    def test_not_a_step(self):
        with self.assertRaises(orchest.PipelineDefinitionNotFoundError) as caught:
            orchest.get_params()
        self.assertIn("ORCHEST_PIPELINE_PATH is not set", str(caught.exception))

    def test_step_unknown(self):
        self.job_env()
        del os.environ["ORCHEST_STEP_UUID"]
        with self.assertRaises(orchest.StepUUIDResolveError) as caught:
            orchest.get_step_param("rows")
        self.assertIn("Parameters could not be identified.", str(caught.exception))
        self.assertEqual(orchest.get_pipeline_param("greeting"), "hello", "pipeline parameters need no step")

    def test_step_not_in_pipeline(self):
        self.job_env()
        os.environ["ORCHEST_STEP_UUID"] = "00000000-0000-4000-8000-000000000000"
        with self.assertRaises(orchest.StepUUIDResolveError) as caught:
            orchest.get_params()
        self.assertIn("Step does not exist in the pipeline with UUID: 00000000", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
