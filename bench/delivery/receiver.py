"""The benchmark's webhook receiver: answers 200 at once and records, per subscription path and
`webhook-id`, when the first copy arrived and how many came, after checking the signature with
the `standardwebhooks` reference library. The driver posts the secrets first and reads the
receipts at the end.

Run: python bench/delivery/receiver.py --port P
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

secrets: dict[str, Webhook] = {}
# path -> webhook-id -> [first arrival (time.time()), copies]
receipts: dict[str, dict[str, list[float]]] = {}
bad_signatures = 0


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, status: int, body: bytes = b"") -> None:
    await send(
        {"type": "http.response.start", "status": status,
         "headers": [(b"content-type", b"application/json")]}
    )  # fmt: skip
    await send({"type": "http.response.body", "body": body})


async def app(scope: Any, receive: Any, send: Any) -> None:
    global bad_signatures
    if scope["type"] != "http":
        return
    body = await _body(receive)
    path = scope["path"]
    if path == "/secrets":
        for name, secret in json.loads(body).items():
            secrets[name] = Webhook(secret)
        await _answer(send, 204)
        return
    if path == "/receipts":
        answer = {"receipts": receipts, "bad_signatures": bad_signatures}
        await _answer(send, 200, json.dumps(answer).encode())
        return
    arrived = time.time()
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    try:
        secrets[path].verify(body, headers)
    except (KeyError, WebhookVerificationError):
        bad_signatures += 1
        await _answer(send, 400, b'{"error": "bad signature"}')
        return
    seen = receipts.setdefault(path, {}).setdefault(headers["webhook-id"], [arrived, 0])
    seen[1] += 1
    await _answer(send, 200, b"{}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
