"""The API's request and response models: one module per capability, the one public shape.

Convention (issue 13): a service returns value objects (the analysis's frozen dataclasses,
or small service-level dataclasses); the router answers with a model from
``api/schemas/<capability>.py`` built straight from that value object
(``Model.model_validate(value)``, see :class:`twin.api.schemas.base.Answer`). No
service-side ``to_json()`` for answers: adding a field means editing the value object and
the schema, nothing else.
"""
