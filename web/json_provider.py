"""Flask's JSON responses written with orjson, which serialises the API's payloads several times faster."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    """`jsonify`, `json.dumps` and `json.loads` through orjson, keeping key order.

    What orjson cannot write itself goes to Flask's own conversions (dates as HTTP dates,
    decimals, objects with `__html__`); NaN and infinities become null, which is valid JSON.
    """

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if kwargs:
            return super().loads(s, **kwargs)
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        if self._app.debug:
            return super().response(obj)
        body = orjson.dumps(obj, default=self.default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        response_class: Any = self._app.response_class
        return response_class(body, mimetype=self.mimetype)  # type: ignore[no-any-return]
