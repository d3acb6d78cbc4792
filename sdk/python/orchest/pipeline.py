"""The pipeline file as the SDK reads it (the parts parameters and services need)."""
from typing import Any, Dict, List

from orchest import error


class PipelineStep:
    def __init__(self, properties: Dict[str, Any]) -> None:
        self.properties = properties
        self.parents: List["PipelineStep"] = []
        self.children: List["PipelineStep"] = []

    def get_params(self) -> Dict[str, Any]:
        return self.properties.get("parameters", {})

    def __repr__(self) -> str:
        return f"PipelineStep({self.properties.get('title', self.properties.get('uuid'))!r})"


class Pipeline:
    def __init__(self, steps: List[PipelineStep], properties: Dict[str, Any]) -> None:
        self.steps = steps
        self.properties = properties

    @classmethod
    def from_json(cls, description: Dict[str, Any]) -> "Pipeline":
        steps = {uuid: PipelineStep(props) for uuid, props in description.get("steps", {}).items()}
        for step in steps.values():
            for uuid in step.properties.get("incoming_connections", []):
                if uuid in steps:
                    step.parents.append(steps[uuid])
                    steps[uuid].children.append(step)
        properties = {
            "name": description.get("name"),
            "uuid": description.get("uuid"),
            "settings": description.get("settings"),
            "parameters": description.get("parameters", {}),
            "services": description.get("services", {}),
        }
        return cls(list(steps.values()), properties)

    def get_step_by_uuid(self, uuid: str) -> PipelineStep:
        for step in self.steps:
            if step.properties.get("uuid") == uuid:
                return step
        raise error.StepUUIDResolveError(f"Step does not exist in the pipeline with UUID: {uuid}.")

    def get_params(self) -> Dict[str, Any]:
        return self.properties.get("parameters", {})

    def __repr__(self) -> str:
        return f"Pipeline({self.steps!r})"
