"""A small web demo: upload an image, type expressions, see the masks.

    python tools/demo/web_demo.py CONFIG --weights CKPT [--port 7860]
        [--host 127.0.0.1] [--device cpu|cuda] [--threshold T]
        [--precision fp32|bf16|fp16] [--backend pytorch|onnxruntime]
        [--workers 4] [--timeout 30] [--max-pixels 16777216]

then open http://127.0.0.1:7860 in a browser. CONFIG is a config file or a
config name such as vitb_refcoco; ``--precision`` and ``--backend`` are
those of tools/demo/image_demo.py. The page sends the image and the
expressions (one per line) to POST /predict and shows, per expression, the
picture drawn by RISLocalVisualizer and the binary mask at the image's size.
Only the Python standard library serves it (http.server); ``--port 0`` takes
a free port. The server prints ``Running on http://HOST:PORT`` once it
listens.

POST /predict takes JSON ``{"image": "<base64 or data: URL>", "expressions":
"one per line" | ["...", ...]}`` and answers ``{"width", "height",
"seconds", "results": [{"text", "area", "no_target_score", "summary", "mask",
"overlay"}]}`` (mask and overlay as PNG data URLs; ``summary`` reads "no
match" for an empty mask, with the no-target score of a model that has a
no-target head, docs/gres.md), or ``{"error": "<one line>"}`` with a 4xx or 5xx
status.

Safe to expose on a LAN (``--host 0.0.0.0``), within these limits:

- the body must come with a valid ``Content-Length`` (411 when missing or
  chunked, 400 when not a number, 413 above 20 MiB, read before anything);
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
import signal
import sys
import threading
import time
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from image_demo import add_model_arguments, build_inferencer, check_device, resolve_config

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_EXPRESSIONS = 16

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mmris referring segmentation demo</title>
<style>
  body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
  form { display: grid; gap: .6em; max-width: 40em; }
  textarea { font: inherit; }
  button { width: 10em; padding: .4em; }
  #status { min-height: 1.5em; color: #444; }
  #status.error { color: #b00020; }
  #preview { max-width: 320px; max-height: 240px; display: block; }
  #results { display: flex; flex-wrap: wrap; gap: 1.2em; }
  figure { margin: 0; }
  figure img { display: block; max-width: 480px; border: 1px solid #ccc; margin-bottom: .3em; }
  figcaption { font-size: .95em; margin-bottom: .3em; }
</style>
</head>
<body data-state="idle">
<h1>Referring image segmentation</h1>
<p>Model: <code>__CONFIG__</code></p>
<form id="form">
  <label>Image <input type="file" id="image" name="image" accept="image/*" required></label>
  <img id="preview" alt="" hidden>
  <label for="expressions">Expressions, one per line</label>
  <textarea id="expressions" name="expressions" rows="4" required
    placeholder="the man on the left&#10;the red car"></textarea>
  <button type="submit" id="submit">Segment</button>
</form>
<p id="status"></p>
<div id="results"></div>
<script>
const form = document.getElementById('form');
const fileInput = document.getElementById('image');
const statusLine = document.getElementById('status');
const results = document.getElementById('results');
const button = document.getElementById('submit');

function setState(state, message) {
  document.body.dataset.state = state;
  statusLine.textContent = message;
  statusLine.className = state === 'error' ? 'error' : '';
}

function readAsDataURL(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error('could not read the file'));
    reader.readAsDataURL(file);
  });
}

fileInput.addEventListener('change', async () => {
  const preview = document.getElementById('preview');
  if (!fileInput.files.length) { preview.hidden = true; return; }
  preview.src = await readAsDataURL(fileInput.files[0]);
  preview.hidden = false;
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const expressions = document.getElementById('expressions').value
    .split('\\n').map((line) => line.trim()).filter((line) => line);
  if (!fileInput.files.length) { setState('error', 'Choose an image first.'); return; }
  if (!expressions.length) { setState('error', 'Type at least one expression.'); return; }
  button.disabled = true;
  results.replaceChildren();
  setState('running', 'Segmenting ' + expressions.length + ' expression(s)...');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 300000);
  try {
    const image = await readAsDataURL(fileInput.files[0]);
    const response = await fetch('predict', {
      method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({image: image, expressions: expressions}),
      signal: controller.signal});
    const answer = await response.json();
    if (!response.ok) { throw new Error(answer.error || response.statusText); }
    for (const result of answer.results) {
      const figure = document.createElement('figure');
      figure.className = 'result';
      const caption = document.createElement('figcaption');
      caption.textContent = '"' + result.text + '": ' + result.summary;
      const overlay = new Image();
      overlay.className = 'overlay';
      overlay.alt = 'prediction for ' + result.text;
      overlay.src = result.overlay;
      const mask = new Image();
      mask.className = 'mask';
      mask.alt = 'mask for ' + result.text;
      mask.src = result.mask;
      figure.append(caption, overlay, mask);
      results.append(figure);
    }
    await Promise.all([...results.querySelectorAll('img')].map((img) => img.decode()));
    setState('done', 'Done: ' + answer.width + 'x' + answer.height + ' image, ' +
             answer.seconds.toFixed(2) + ' s.');
  } catch (error) {
    setState('error', 'Error: ' + (error.name === 'AbortError' ? 'timed out' : error.message));
  } finally {
    clearTimeout(timer);
    button.disabled = false;
  }
});
</script>
</body>
</html>
"""


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
        start = time.perf_counter()
        with self.lock:
            output = self.inferencer(img, expressions, batch_size=len(expressions),
                                     return_vis=True, threshold=self.threshold)
        seconds = time.perf_counter() - start
        results = []
        for prediction, picture in zip(output['predictions'], output['visualization']):
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
    """``ThreadingHTTPServer`` that serves at most ``workers`` connections
    at once and answers any further one with 503 straight away."""

    daemon_threads = True

    def __init__(self, address, handler, workers: int):
        super().__init__(address, handler)
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
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def make_handler(segmenter: Segmenter, page: str, request_timeout: float):

    class Handler(BaseHTTPRequestHandler):
        server_version = 'mmris-web-demo'
        timeout = request_timeout  # set on each connection's socket


        def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.send_header('Cache-Control', 'no-store')
            self.end_headers()
            self.wfile.write(body)

        def _send_json(self, status: HTTPStatus, payload: dict) -> None:
            self._send(status, json.dumps(payload).encode(), 'application/json')

        def do_GET(self):  # noqa: N802 (http.server's naming)
            path = self.path.split('?')[0]
            if path in ('/', '/index.html'):
                self._send(HTTPStatus.OK, page.encode(), 'text/html; charset=utf-8')
            elif path == '/health':
                self._send(HTTPStatus.OK, b'ok', 'text/plain')
            else:
                self._send_json(HTTPStatus.NOT_FOUND, dict(error=f'no page {path}'))

        def _read_body(self) -> bytes:
            """The body, as long as its Content-Length says; RequestError
            for a missing, bad or too large length, a short body or a
            timeout."""
            if self.headers.get('Transfer-Encoding'):
                raise RequestError('chunked bodies are not accepted; send Content-Length',
                                   HTTPStatus.LENGTH_REQUIRED)
            length = self.headers.get('Content-Length')
            if length is None:
                raise RequestError('send the body with a Content-Length header',
                                   HTTPStatus.LENGTH_REQUIRED)
            if not length.strip().isdigit():
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
            if self.path.split('?')[0] != '/predict':
                self._send_json(HTTPStatus.NOT_FOUND, dict(error=f'no endpoint {self.path}'))
                return
            try:
                body = self._read_body()
                try:
                    request = json.loads(body or b'null')
                except ValueError as error:
                    raise RequestError('the request body is not JSON') from error
                self._send_json(HTTPStatus.OK, segmenter(request))
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

    return Handler


def _stop(signum, frame):
    """SIGTERM stops the server as Ctrl+C does."""
    raise KeyboardInterrupt


def parse_args():
    parser = argparse.ArgumentParser(description='Web demo of referring image segmentation.')
    parser.add_argument('config', help='config file or config name (e.g. vitb_refcoco)')
    parser.add_argument('--port', type=int, default=7860, help='port (0: any free port)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (0.0.0.0: every interface)')
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
    config = resolve_config(args.config)
    device = check_device(args.device)
    inferencer = build_inferencer(config, args, device)
    page = PAGE.replace('__CONFIG__', config.replace('&', '&amp;').replace('<', '&lt;'))
    try:
        segmenter = Segmenter(inferencer, args.threshold, args.max_pixels)
        server = DemoServer((args.host, args.port),
                            make_handler(segmenter, page, args.timeout), args.workers)
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
