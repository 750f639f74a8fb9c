"""API helpers every app's endpoints share: permissions, paging, errors, throttling, field
selection and the OpenAPI schema class."""
