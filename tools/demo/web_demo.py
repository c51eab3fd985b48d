"""A small web demo: upload an image, type expressions, see the masks.

    python tools/demo/web_demo.py CONFIG --weights CKPT [--port 7860]
        [--host 127.0.0.1] [--device cpu|cuda] [--threshold T]
        [--precision fp32|bf16|fp16] [--backend pytorch|onnxruntime]
        [--workers 4] [--timeout 30] [--max-pixels 16777216]
        [--allowed-hosts HOST [HOST ...]]

then open http://127.0.0.1:7860 in a browser. CONFIG is a config file or a
config name such as vitb_refcoco; ``--precision`` and ``--backend`` are
those of tools/demo/image_demo.py. The page sends the image and the
expressions (one per line) to POST /predict and shows, per expression, the
picture drawn by RISLocalVisualizer and the binary mask at the image's size.
Only the Python standard library serves it (http.server): the page is the
static file web_demo/index.html next to this script, which reads the
model's name from GET /info. ``--port 0`` takes a free port. The server
prints ``Running on http://HOST:PORT`` once it listens.

POST /predict takes ``Content-Type: application/json`` (415 otherwise) with
``{"image": "<base64 or data: URL>", "expressions":
"one per line" | ["...", ...]}`` and answers ``{"width", "height",
"seconds", "results": [{"text", "area", "no_target_score", "summary", "mask",
"overlay"}]}`` (mask and overlay as PNG data URLs; ``summary`` reads "no
match" for an empty mask, with the no-target score of a model that has a
no-target head, docs/gres.md), or ``{"error": "<one line>"}`` with a 4xx or 5xx
status.

It answers its own page only (same_origin.py): a ``Host`` header that
does not name the bound address, localhost, 127.0.0.1, [::1] or an entry of
``--allowed-hosts`` gets 403 (DNS rebinding), and so does a POST whose
``Origin`` is another site (a page driving the demo through a visitor's
browser); a POST without ``Origin`` (curl, scripts) is answered. On a LAN
(``--host 0.0.0.0``) give the name or address users type:
``--allowed-hosts 192.168.1.20 mybox.local``.

Safe to expose on a LAN, within these limits:

- the body must come with a valid ``Content-Length`` (411 when missing or
  chunked, 400 when not a number in ASCII digits, 413 above 20 MiB, read
  before anything);
- at most 16 expressions of at most 500 characters each (400 otherwise);
- every connection has a socket timeout (``--timeout`` seconds): a body
  that stops short gets 408, an idle connection is closed;
- at most ``--workers`` connections are served at once (the others get
  503 at once), and the model runs one request at a time;
- an image of more than ``--max-pixels`` pixels is refused with 413 from
  its header, before it is decoded (it is not downscaled: the masks are
  at the upload's size);
- errors are the same one-line messages as the command-line tools'.
"""
import argparse
import base64
import binascii
import io
import json
import re
import signal
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from image_demo import add_model_arguments, build_inferencer, check_device, resolve_config
from same_origin import SameOriginGuard

#: The page the demo serves, found from this file (any working directory).
PAGE_FILE = Path(__file__).resolve().parent / 'web_demo' / 'index.html'

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_EXPRESSIONS = 16
MAX_EXPRESSION_CHARS = 500

class RequestError(Exception):
    """A bad request: its message goes back to the page with ``status``."""

    def __init__(self, message: str, status: HTTPStatus = HTTPStatus.BAD_REQUEST):
        super().__init__(message)
        self.status = status


def png_data_url(image) -> str:
    """A data URL of ``image`` (H, W) or (H, W, 3 BGR) uint8 as PNG."""
    import cv2
    ok, encoded = cv2.imencode('.png', image)
    if not ok:
        raise RuntimeError('could not encode a PNG')
    return 'data:image/png;base64,' + base64.b64encode(encoded.tobytes()).decode('ascii')


class Segmenter:
    """Runs the inferencer for one request at a time, on images of at most
    ``max_pixels`` pixels."""

    def __init__(self, inferencer, threshold=None, max_pixels: int = 4096 * 4096):
        self.inferencer = inferencer
        self.threshold = threshold
        self.max_pixels = max_pixels
        self.lock = threading.Lock()

    def decode(self, data: bytes):
        """The uploaded image as a BGR array, its size checked from its
        header before it is decoded."""
        from PIL import Image, UnidentifiedImageError

        from mmris.apis.inputs import decode_image
        if data:
            try:
                width, height = Image.open(io.BytesIO(data)).size
            except (UnidentifiedImageError, OSError, ValueError):
                raise RequestError(f'the upload could not be decoded as an image ({len(data)} '
                                   f'bytes); pass an image file (PNG, JPEG, ...)') from None
            if width * height > self.max_pixels:
                raise RequestError(f'the image is {width}x{height} ({width * height} pixels); '
                                   f'this demo takes at most {self.max_pixels} pixels '
                                   f'(--max-pixels): send a smaller one',
                                   HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        return decode_image(data, 'the upload')

    def __call__(self, request: dict) -> dict:
        import numpy as np

        from mmris.apis.ris_inferencer import describe_match
        if not isinstance(request, dict):
            raise RequestError('send a JSON object with "image" and "expressions"')
        image = request.get('image')
        if not isinstance(image, str):
            raise RequestError('no image: send "image" as base64 or a data: URL')
        if image.startswith('data:'):
            image = image.partition(',')[2]
        try:
            data = base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError) as error:
            raise RequestError('"image" is not valid base64') from error
        img = self.decode(data)
        expressions = request.get('expressions')
        if isinstance(expressions, str):
            expressions = expressions.splitlines()
        if not isinstance(expressions, list) or \
                not all(isinstance(text, str) for text in expressions):
            raise RequestError('"expressions" must be a string (one per line) or a list')
        expressions = [text.strip() for text in expressions if text.strip()]
        if not expressions:
            raise RequestError('type at least one expression')
        if len(expressions) > MAX_EXPRESSIONS:
            raise RequestError(f'at most {MAX_EXPRESSIONS} expressions at a time')
        longest = max(expressions, key=len)
        if len(longest) > MAX_EXPRESSION_CHARS:
            raise RequestError(f'an expression may have at most {MAX_EXPRESSION_CHARS} '
                               f'characters, one has {len(longest)} ("{longest[:20]}..."): '
                               f'shorten it')
        start = time.perf_counter()
        with self.lock:
            output = self.inferencer(img, expressions, batch_size=len(expressions),
                                     return_vis=True, threshold=self.threshold)
        seconds = time.perf_counter() - start
        results = []
        pairs = zip(output['predictions'], output['visualization'], strict=True)
        for prediction, picture in pairs:
            area = int(prediction['mask'].sum())
            results.append(dict(text=prediction['text'], area=area,
                                no_target_score=prediction['no_target_score'],
                                summary=describe_match(prediction['no_target_score'], area),
                                mask=png_data_url(prediction['mask'] * 255),
                                overlay=png_data_url(np.ascontiguousarray(picture[..., ::-1]))))
        return dict(width=int(img.shape[1]), height=int(img.shape[0]), seconds=seconds,
                    results=results)


def busy_response() -> bytes:
    """The whole HTTP response (503, JSON error) to a connection over the limit."""
    body = json.dumps(dict(error='the demo is busy with other requests; try again in a '
                                 'moment')).encode()
    head = ['HTTP/1.0 503 Service Unavailable', 'Content-Type: application/json',
            f'Content-Length: {len(body)}', 'Retry-After: 5', 'Connection: close']
    return ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1') + body


class DemoServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` for :class:`DemoHandler`: it serves at most
    ``workers`` connections at once and answers any further one with 503
    straight away, and holds what the handlers use: the ``segmenter``, the
    ``config`` name shown on the page, the :class:`SameOriginGuard` and the
    socket ``request_timeout`` (s)."""

    daemon_threads = True

    def __init__(self, address, segmenter: Segmenter, config: str, guard: SameOriginGuard,
                 request_timeout: float, workers: int):
        super().__init__(address, DemoHandler)
        self.segmenter = segmenter
        self.config = config
        self.guard = guard
        self.request_timeout = request_timeout
        self.slots = threading.BoundedSemaphore(workers)

    def process_request(self, request, client_address):
        if not self.slots.acquire(blocking=False):
            try:
                request.settimeout(1)
                request.sendall(busy_response())
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        """``ThreadingMixIn``'s, but the worker slot is given back before the
        connection is closed: a client that has read its whole answer (up to
        the close) finds the slot free for its next request. Given back
        after the close, a quick second and third request could still find
        both slots taken and get 503."""
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.slots.release()
            self.shutdown_request(request)


class DemoHandler(BaseHTTPRequestHandler):
    """GET / (the page), /info, /health; POST /predict. Every request passes
    the server's :class:`SameOriginGuard` first (403)."""

    server_version = 'mmris-web-demo'

    @property
    def timeout(self) -> float:
        """The socket timeout of each connection (read by ``setup``)."""
        return self.server.request_timeout

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: HTTPStatus, payload: dict) -> None:
        self._send(status, json.dumps(payload).encode(), 'application/json')

    def _refused(self) -> bool:
        """Answer 403 and return True if the guard refuses this request."""
        reason = self.server.guard.refusal(self.command, self.headers.get('Host'),
                                           self.headers.get('Origin'))
        if reason is not None:
            self._send_json(HTTPStatus.FORBIDDEN, dict(error=reason))
        return reason is not None

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self._refused():
            return
        path = self.path.split('?')[0]
        if path in ('/', '/index.html'):
            self._send(HTTPStatus.OK, PAGE_FILE.read_bytes(), 'text/html; charset=utf-8')
        elif path == '/info':
            self._send_json(HTTPStatus.OK, dict(config=self.server.config))
        elif path == '/health':
            self._send(HTTPStatus.OK, b'ok', 'text/plain')
        else:
            self._send_json(HTTPStatus.NOT_FOUND, dict(error=f'no page {path}'))

    def _check_content_type(self) -> None:
        """RequestError (415) unless the body is declared JSON."""
        content_type = self.headers.get('Content-Type', '')
        if content_type.partition(';')[0].strip().lower() != 'application/json':
            raise RequestError(f'/predict takes Content-Type: application/json, got '
                               f'{content_type or "none"}',
                               HTTPStatus.UNSUPPORTED_MEDIA_TYPE)

    def _read_body(self) -> bytes:
        """The body, as long as its Content-Length says; RequestError for a
        missing, bad or too large length, a short body or a timeout."""
        if self.headers.get('Transfer-Encoding'):
            raise RequestError('chunked bodies are not accepted; send Content-Length',
                               HTTPStatus.LENGTH_REQUIRED)
        length = self.headers.get('Content-Length')
        if length is None:
            raise RequestError('send the body with a Content-Length header',
                               HTTPStatus.LENGTH_REQUIRED)
        if not re.fullmatch('[0-9]+', length.strip()):  # str.isdigit() takes '²'
            raise RequestError(f'Content-Length {length!r} is not a number of bytes')
        length = int(length)
        if length > MAX_UPLOAD_BYTES:
            raise RequestError(f'the upload is {length} bytes, over the '
                               f'{MAX_UPLOAD_BYTES >> 20} MiB limit',
                               HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise RequestError(f'the body did not arrive within {self.timeout:g} s',
                               HTTPStatus.REQUEST_TIMEOUT) from None
        if len(body) < length:
            raise RequestError(f'the body ended after {len(body)} of {length} bytes')
        return body

    def do_POST(self):  # noqa: N802
        from mmris.utils import UserError
        from mmris.utils.cli import one_line
        if self._refused():
            return
        if self.path.split('?')[0] != '/predict':
            self._send_json(HTTPStatus.NOT_FOUND, dict(error=f'no endpoint {self.path}'))
            return
        try:
            self._check_content_type()
            body = self._read_body()
            try:
                request = json.loads(body or b'null')
            except ValueError as error:
                raise RequestError('the request body is not JSON') from error
            self._send_json(HTTPStatus.OK, self.server.segmenter(request))
        except RequestError as error:
            self._send_json(error.status, dict(error=str(error)))
        except (UserError, ValueError, TypeError) as error:  # input the model refused
            self._send_json(HTTPStatus.BAD_REQUEST, dict(error=one_line(error)))
        except Exception as error:  # keep serving; tell the page in one line
            self.log_error('prediction failed: %s', traceback.format_exc())
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR,
                            dict(error=f'prediction failed: {one_line(error)}'))

    def log_message(self, format, *args):  # noqa: A002
        sys.stderr.write(f'[web_demo] {self.address_string()} {format % args}\n')


def _stop(signum, frame):
    """SIGTERM stops the server as Ctrl+C does."""
    raise KeyboardInterrupt


def parse_args():
    parser = argparse.ArgumentParser(description='Web demo of referring image segmentation.')
    parser.add_argument('config', help='config file or config name (e.g. vitb_refcoco)')
    parser.add_argument('--port', type=int, default=7860, help='port (0: any free port)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (0.0.0.0: every interface)')
    parser.add_argument('--allowed-hosts', nargs='+', default=[], metavar='HOST',
                        help='more names or addresses (name or name:port) the demo answers to '
                        'and whose pages may POST to it, besides the bound address, localhost, '
                        '127.0.0.1 and [::1]; * answers any (no protection)')
    add_model_arguments(parser)
    parser.add_argument('--workers', type=int, default=4,
                        help='connections served at once; more get 503 (default: 4)')
    parser.add_argument('--timeout', type=float, default=30,
                        help='seconds a connection may take to send a request (default: 30)')
    parser.add_argument('--max-pixels', type=int, default=4096 * 4096,
                        help='largest image accepted, in pixels (default: 4096 x 4096)')
    return parser.parse_args()


def main():
    from mmris.utils import UsageError
    args = parse_args()
    if not 0 <= args.port <= 65535:
        raise UsageError(f'--port {args.port} must be from 0 to 65535')
    if args.threshold is not None and not 0 <= args.threshold < 1:
        raise UsageError(f'--threshold {args.threshold} must be in [0, 1)')
    for flag, value in (('--workers', args.workers), ('--timeout', args.timeout),
                        ('--max-pixels', args.max_pixels)):
        if value <= 0:
            raise UsageError(f'{flag} must be positive, got {value}')
    try:
        guard = SameOriginGuard(args.host, args.allowed_hosts)
    except ValueError as error:
        raise UsageError(f'--allowed-hosts: {error}; give names or name:port') from error
    config = resolve_config(args.config)
    device = check_device(args.device)
    inferencer = build_inferencer(config, args, device)
    try:
        server = DemoServer((args.host, args.port),
                            Segmenter(inferencer, args.threshold, args.max_pixels), config,
                            guard, args.timeout, args.workers)
    except OSError as error:
        raise UsageError(f'cannot listen on {args.host}:{args.port} ({error.strerror}); '
                         f'pick another --port, or --port 0 for any free one') from error
    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    print(f'Running on http://{host}:{port} (Ctrl+C to stop)', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print('stopped', flush=True)


if __name__ == '__main__':
    from mmris.utils import run_cli
    run_cli(main)
