"""OpenAPI generation: every operation documents the errors it can answer (SPEC §5)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": "Each bad field (or non_field_errors) with its messages.",
    "additionalProperties": {},
}


class SwitchboardAutoSchema(AutoSchema):
    def _error(self, description: str, schema: dict) -> dict:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        errors = {
            "400": self._error("A field or parameter is wrong: the body names each one.", FIELD_ERRORS),
            "401": self._error("No valid credentials.", DETAIL),
            "403": self._error("Your role may not do this.", DETAIL),
            "429": self._error("Too many requests: retry after the Retry-After header's seconds.", DETAIL),
        }
        if "{" in self.path or self.method != "GET" or self.path.endswith("/lookup/"):
            errors["404"] = self._error("No such object, or not one you may see.", DETAIL)
        for code, body in errors.items():
            if code not in responses or not responses[code].get("content"):
                responses[code] = body
        return responses
