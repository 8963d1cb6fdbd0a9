"""A stand-in for ``python -m llama_cpp.server``: same flags, same answers' shape, no model.

Run as a script: ``python fake_llama_server.py --model M --port P [--mode MODE]``.
Modes: ``ok`` (serve), ``crash`` (print to stderr and exit 3), ``never-ready`` (stay
alive without listening), ``slow`` (listen after 0.5 s), ``port-taken`` (fail as if the
port were in use, once per ``--flag-file``). Like llama.cpp 0.3 it rejects
``response_format.type == json_schema`` with HTTP 500 and honours ``json_object``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--model_alias", default=None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="ok")
    parser.add_argument("--flag-file", default=None)
    args, _ = parser.parse_known_args()
    alias = args.model_alias or args.model
    if args.mode == "crash":
        print(f"error: failed to load model from {args.model}", file=sys.stderr, flush=True)
        sys.exit(3)
    if args.mode == "never-ready":
        print("loading forever", file=sys.stderr, flush=True)
        time.sleep(600)
    if args.mode == "port-taken" and args.flag_file and not Path(args.flag_file).exists():
        Path(args.flag_file).write_text("tried", encoding="utf-8")
        print("ERROR: [Errno 98] address already in use", file=sys.stderr, flush=True)
        sys.exit(1)
    if args.mode == "slow":
        time.sleep(0.5)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *a: object) -> None:
            print(format % a, file=sys.stderr, flush=True)

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, text: str, model: str) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            pieces = [text[: len(text) // 2], text[len(text) // 2 :]]
            for i, piece in enumerate(pieces):
                delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                chunk = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": 1_700_000_000,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            last = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._send(200, {"object": "list", "data": [{"id": alias, "object": "model"}]})
            else:
                self._send(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v1/chat/completions":
                self._send(404, {"detail": "Not Found"})
                return
            fmt = body.get("response_format") or {}
            if fmt.get("type") not in (None, "text", "json_object"):
                message = "Input should be 'text' or 'json_object'"
                self._send(500, {"error": {"message": message, "type": "internal_server_error"}})
                return
            last = body["messages"][-1]["content"]
            text = json.dumps({"name": "John", "age": 42}) if fmt else f"echo: {last}"
            if body.get("stream"):
                self._stream(text, body.get("model", alias))
                return
            self._send(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 1_700_000_000,
                    "model": body.get("model", alias),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
                },
            )

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print(f"Uvicorn running on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
