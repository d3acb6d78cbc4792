import unittest

from helpers import SESSION, FakeApi, StepTestCase, closed_port_url

import orchest
from orchest import error


class JobRunServices(StepTestCase):
    def test_get_service_returns_orchests_shape_from_the_run_pipeline_file(self):
        self.job_env(runtime="docker")
        redis = orchest.get_service("redis")
        self.assertEqual(
            redis,
            {
                "name": "redis",
                "image": "redis",
                "ports": [6379],
                "exposed": False,
                "order": 0,
                "internal_hostname": f"redis-{SESSION}",
                "external_urls": {6379: f"http://{{host_name}}:{{port}}/service-redis-{SESSION}_6379"},
                "base_paths": {6379: f"/service-redis-{SESSION}_6379"},
            },
        )

    def test_local_runtime_hostname_is_loopback(self):
        self.job_env(runtime="local")
        self.assertEqual(orchest.get_service("redis")["internal_hostname"], "127.0.0.1")

    def test_preserve_base_path_and_base_path_prefix_substitution(self):
        self.job_env(runtime="docker")
        app = orchest.get_service("app")
        self.assertEqual(app["base_paths"], {8501: f"/pbp-service-app-{SESSION}_8501"})
        self.assertEqual(app["env_variables"], {"BASE": f"pbp-service-app-{SESSION}_8501"})

    def test_get_services_lists_only_services_the_run_started(self):
        self.job_env()
        services = orchest.get_services()
        self.assertEqual(sorted(services), ["app", "redis"])
        self.assertNotIn("scope", services["redis"])

    def test_unknown_service_raises_orchests_error(self):
        self.job_env()
        with self.assertRaises(orchest.ServiceNotFound) as caught:
            orchest.get_service("postgres")
        self.assertEqual(str(caught.exception), "Could not find service with name postgres")
        self.assertIsInstance(caught.exception, error.Error)

    def test_interactive_only_service_is_not_in_a_job_run(self):
        self.job_env()
        with self.assertRaises(orchest.ServiceNotFound):
            orchest.get_service("notebook")

    def test_missing_pipeline_file(self):
        self.job_env()
        import os

        os.environ["ORCHEST_PIPELINE_PATH"] = self.pipeline_path + ".gone"
        with self.assertRaises(orchest.PipelineDefinitionNotFoundError) as caught:
            orchest.get_services()
        self.assertIn("does not exist", str(caught.exception))


class InteractiveServices(StepTestCase):
    def setUp(self):
        super().setUp()
        self.api = FakeApi(
            {
                SESSION: {
                    "redis": {
                        "name": "redis",
                        "image": "redis",
                        "ports": [6379],
                        "exposed": False,
                        "order": 0,
                        "internal_hostname": "127.0.0.1",
                        "external_urls": {"6379": f"http://{{host_name}}:{{port}}/service-redis-{SESSION}_6379"},
                        "base_paths": {"6379": f"/service-redis-{SESSION}_6379"},
                    }
                }
            }
        )
        self.addCleanup(self.api.close)

    def test_reads_user_services_of_the_session_with_the_session_token(self):
        self.interactive_env(self.api.url)
        redis = orchest.get_service("redis")
        self.assertEqual(redis["internal_hostname"], "127.0.0.1")
        self.assertEqual(redis["base_paths"], {6379: f"/service-redis-{SESSION}_6379"})
        self.assertEqual(self.api.requests, [(f"/api/sessions/{SESSION}", "Bearer session-token")])
        self.assertEqual(list(orchest.get_services()), ["redis"])

    def test_reads_the_services_file_berth_gives_steps_without_asking_the_api(self):
        import json
        import os
        import tempfile

        self.interactive_env(self.api.url)
        services = {"redis": {"name": "redis", "image": "redis", "ports": [6379], "internal_hostname": f"redis-{SESSION}", "base_paths": {"6379": f"/service-redis-{SESSION}_6379"}}}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump({"user_services": services}, handle)
        self.addCleanup(os.unlink, handle.name)
        os.environ["BERTH_SERVICES_FILE"] = handle.name
        self.assertEqual(orchest.get_service("redis")["internal_hostname"], f"redis-{SESSION}")
        self.assertEqual(orchest.get_service("redis")["base_paths"], {6379: f"/service-redis-{SESSION}_6379"})
        self.assertEqual(self.api.requests, [], "the API was not asked")

    def test_unknown_service(self):
        self.interactive_env(self.api.url)
        with self.assertRaises(orchest.ServiceNotFound) as caught:
            orchest.get_service("nope")
        self.assertEqual(str(caught.exception), "Could not find service with name nope")

    def test_session_gone(self):
        self.interactive_env(self.api.url)
        import os

        os.environ["ORCHEST_SESSION_UUID"] = "ffffffff-0000-4000-8000-000000000000"
        with self.assertRaises(orchest.SessionNotFound) as caught:
            orchest.get_services()
        self.assertIn("no session", str(caught.exception))
        self.assertIn("berth session start", str(caught.exception))

    def test_revoked_token(self):
        self.interactive_env(self.api.url, token="stale")
        with self.assertRaises(orchest.OrchestNetworkError) as caught:
            orchest.get_services()
        self.assertIn("refused", str(caught.exception))
        self.assertIn("BERTH_SESSION_TOKEN", str(caught.exception))

    def test_server_unreachable(self):
        url = closed_port_url()
        self.interactive_env(url)
        with self.assertRaises(orchest.OrchestNetworkError) as caught:
            orchest.get_service("redis")
        message = str(caught.exception)
        self.assertIn(f"Failed to fetch data from {url}/api/sessions/{SESSION}", message)
        self.assertIn("unreachable", message)
        self.assertIn("berth serve", message)

    def test_no_api_url(self):
        self.interactive_env("")
        with self.assertRaises(orchest.OrchestNetworkError) as caught:
            orchest.get_services()
        self.assertIn("BERTH_API_URL is not set", str(caught.exception))


class NoSession(StepTestCase):
    def test_not_a_step(self):
        with self.assertRaises(orchest.UnrecognizedSessionType) as caught:
            orchest.get_services()
        self.assertIn("ORCHEST_SESSION_TYPE is not set", str(caught.exception))

    def test_unknown_session_type(self):
        import os

        os.environ["ORCHEST_SESSION_TYPE"] = "batch"
        with self.assertRaises(orchest.UnrecognizedSessionType) as caught:
            orchest.get_service("redis")
        self.assertIn("'batch'", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
