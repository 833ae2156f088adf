"""Validates an OpenAPI document (a file) against the OpenAPI 3.1 specification's schema with
openapi-spec-validator, an implementation independent of the Rust code that generates it.
Prints "valid <version>" or the first error and exits non-zero."""
import json
import sys

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

with open(sys.argv[1]) as f:
    doc = json.load(f)
try:
    validate(doc)
except OpenAPIValidationError as e:
    print(f"invalid: {e}", file=sys.stderr)
    sys.exit(1)
print("valid", doc.get("openapi"))
