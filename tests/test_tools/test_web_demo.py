"""tools/demo/web_demo.py driven by a real headless Chromium (selenium):
upload an image, type expressions, submit, and read the masks back; and
spoken to in raw HTTP over 127.0.0.1 to check its limits (every request
bounded by socket timeouts, a few dozen at most).

The browser test needs Debian's ``chromium`` and ``chromium-driver``
(.ci/run installs them where missing) and the ``selenium`` package
(requirements/tests.txt); it is skipped, saying why, only where no browser
is found.
"""
import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmris_fixtures.warm_python import warm_python_executable

REPO = Path(__file__).resolve().parents[2]
BROWSERS = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')
START_TIMEOUT = 180  # s for the server to load the model and listen
PREDICT_TIMEOUT = 180  # s for the page to show the masks


def find_browser():
    """(browser, chromedriver) paths, or None where either is missing."""
    browser = next((path for path in map(shutil.which, BROWSERS) if path), None)
    driver = shutil.which('chromedriver')
    return (browser, driver) if browser and driver else None


@contextlib.contextmanager
def running_web_demo(folder: Path, config: str, checkpoint: str, *options):
    """The web demo on port 0 of 127.0.0.1 (the port it reports is read
    from its log) with ``options``, run from ``folder`` rather than the
    repository (it finds its page by itself); yields ``(url, log path)`` and
    stops it (terminate, then kill) however the test ends."""
    log_path = folder / 'server.log'
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            [warm_python_executable(), str(REPO / 'tools' / 'demo' / 'web_demo.py'), str(config),
             '--weights', str(checkpoint), '--port', '0', '--device', 'cpu', *map(str, options)],
            cwd=folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONUNBUFFERED='1'))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        url = None
        while url is None:
            match = re.search(r'Running on (http://[\d.]+:\d+)', log_path.read_text())
            if match:
                url = match.group(1)
            elif process.poll() is not None:
                pytest.fail(f'the web demo exited with {process.returncode}:\n'
                            f'{log_path.read_text()[-3000:]}')
            elif time.monotonic() > deadline:
                pytest.fail(f'the web demo did not listen within {START_TIMEOUT} s:\n'
                            f'{log_path.read_text()[-3000:]}')
            else:
                time.sleep(0.2)
        with urllib.request.urlopen(f'{url}/health', timeout=10) as response:
            assert response.read() == b'ok'
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture
def web_demo_server(tmp_path, tiny_model_files):
    """The web demo with its default limits and a tiny model."""
    config, checkpoint, _ = tiny_model_files
    with running_web_demo(tmp_path, config, checkpoint) as server:
        yield server


@pytest.fixture
def browser(tmp_path):
    """A headless Chromium driven by selenium, quit at the end."""
    found = find_browser()
    if found is None:
        pytest.skip('no headless browser: install Chromium and its driver (Debian: apt-get '
                    'install -y chromium chromium-driver); .ci/run does so in CI')
    webdriver = pytest.importorskip(
        'selenium.webdriver', reason='selenium is not installed: pip install -r '
        'requirements/tests.txt')
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                     '--window-size=1280,1000', f'--user-data-dir={tmp_path / "profile"}'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    try:
        driver.set_page_load_timeout(60)
        driver.set_script_timeout(60)
        yield driver
    finally:
        driver.quit()


def decode_data_url(url: str) -> np.ndarray:
    assert url.startswith('data:image/png;base64,'), url[:40]
    data = base64.b64decode(url.partition(',')[2])
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def test_upload_type_and_see_the_masks(web_demo_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    url, log_path = web_demo_server
    image = tmp_path / 'street.png'
    cv2.imwrite(str(image), (np.random.default_rng(2).random((53, 77, 3)) * 255).astype(np.uint8))
    texts = ['the red car', 'the man on the left']

    browser.get(url)
    assert 'referring segmentation' in browser.title
    model = browser.find_element(By.ID, 'config')  # filled from GET /info
    WebDriverWait(browser, 30, poll_frequency=0.2).until(lambda _: model.text)
    assert model.text.endswith('tiny_vitb.py')
    browser.find_element(By.ID, 'image').send_keys(str(image))
    browser.find_element(By.ID, 'expressions').send_keys('\n'.join(texts) + '\n')
    browser.find_element(By.ID, 'submit').click()
    body = browser.find_element(By.TAG_NAME, 'body')
    WebDriverWait(browser, PREDICT_TIMEOUT, poll_frequency=0.2).until(
        lambda _: body.get_attribute('data-state') in ('done', 'error'))
    status = browser.find_element(By.ID, 'status').text
    assert body.get_attribute('data-state') == 'done', \
        f'{status}\n{log_path.read_text()[-3000:]}'
    assert status.startswith('Done: 77x53 image')

    figures = browser.find_elements(By.CSS_SELECTOR, '#results figure.result')
    captions = [f.find_element(By.TAG_NAME, 'figcaption').text for f in figures]
    assert [c.rsplit(':', 1)[0] for c in captions] == [f'"{t}"' for t in texts]
    for figure, caption in zip(figures, captions, strict=True):
        mask = figure.find_element(By.CSS_SELECTOR, 'img.mask')
        overlay = figure.find_element(By.CSS_SELECTOR, 'img.overlay')
        size = browser.execute_script(
            'return [arguments[0].complete, arguments[0].naturalWidth, '
            'arguments[0].naturalHeight]', mask)
        assert size == [True, 77, 53]
        assert browser.execute_script('return arguments[0].naturalWidth', overlay) > 0
        # The mask shown is the binary mask of the whole image.
        pixels = decode_data_url(mask.get_attribute('src'))
        assert pixels.shape == (53, 77)
        assert set(np.unique(pixels)) <= {0, 255}
        area = int((pixels > 0).sum())  # the caption: the mask's area, or "no match" when empty
        assert caption.endswith(f': mask area {area} px' if area else ': no match')


def test_bad_requests_are_answered(web_demo_server):
    url, _ = web_demo_server

    def post(payload) -> tuple:
        request = urllib.request.Request(f'{url}/predict', data=json.dumps(payload).encode(),
                                         headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    ok, png = cv2.imencode('.png', np.zeros((8, 12, 3), np.uint8))
    image = base64.b64encode(png.tobytes()).decode()
    assert post(dict(image='bm90IGFuIGltYWdl', expressions='a')) == \
        (400, dict(error='the upload could not be decoded as an image (12 bytes); pass an '
                         'image file (PNG, JPEG, ...)'))
    assert post(dict(image='data:image/png;base64,', expressions='a')) == \
        (400, dict(error='the upload is empty (0 bytes); pass an image file (PNG, JPEG, ...)'))
    assert post(dict(image=image, expressions=' \n ')) == \
        (400, dict(error='type at least one expression'))
    status, answer = post(dict(image='data:image/png;base64,' + image, expressions=['a', 'b']))
    assert status == 200 and (answer['width'], answer['height']) == (12, 8)
    assert [r['text'] for r in answer['results']] == ['a', 'b']
    assert decode_data_url(answer['results'][0]['mask']).shape == (8, 12)


# ------------------------------------------------------------------ raw HTTP
LIMITS = dict(timeout=2, workers=2, max_pixels=5000)  # what the limited server runs with
ALLOWED = 'demo.example'  # the limited server's --allowed-hosts
WAIT = 15  # s a raw client waits for any answer; bounds every test below


def start_tiny_demo(folder: Path, tiny_config, *options):
    """:func:`running_web_demo` of a tiny vitb model written to ``folder``,
    yielding ``(host, port)``."""
    from mmengine.runner import save_checkpoint

    from mmris.apis import init_model
    cfg = tiny_config('vitb')
    config, checkpoint = folder / 'tiny.py', folder / 'tiny.pth'
    cfg.dump(str(config))
    save_checkpoint(init_model(cfg).state_dict(), str(checkpoint))
    with running_web_demo(folder, config, checkpoint, *options) as (url, _):
        host, port = url.split('//')[1].split(':')
        yield host, int(port)


@pytest.fixture(scope='module')
def limited_server(tmp_path_factory, tiny_config):
    """One web demo for the raw HTTP tests, with small limits (LIMITS) and
    one allowed host (ALLOWED)."""
    yield from start_tiny_demo(
        tmp_path_factory.mktemp('limited_web_demo'), tiny_config, '--timeout',
        LIMITS['timeout'], '--workers', LIMITS['workers'], '--max-pixels', LIMITS['max_pixels'],
        '--allowed-hosts', ALLOWED)


@pytest.fixture(scope='module')
def busy_server(tmp_path_factory, tiny_config):
    """A web demo of 2 workers whose idle connections stay open for 10
    minutes, so that the test, not a timeout, decides when they end."""
    yield from start_tiny_demo(tmp_path_factory.mktemp('busy_web_demo'), tiny_config,
                               '--timeout', 600, '--workers', LIMITS['workers'])


def connect(server) -> socket.socket:
    return socket.create_connection(server, timeout=WAIT)


def read_response(sock: socket.socket) -> tuple:
    """(status, JSON body or None) of the response on ``sock``, read until the
    server closes it."""
    data = b''
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    status = int(head.split(b' ', 2)[1])
    return status, json.loads(body) if body.startswith(b'{') else None


def raw_request(server, request_line: str, headers: dict, body: bytes = b'') -> tuple:
    """Send ``request_line`` with exactly ``headers`` (None values left out)
    and ``body``; (status, JSON body or None)."""
    lines = [request_line, *(f'{name}: {value}' for name, value in headers.items()
                             if value is not None)]
    with connect(server) as sock:
        sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode() + body)
        return read_response(sock)


JSON_POST = {'Host': '127.0.0.1', 'Content-Type': 'application/json'}


def raw_post(server, headers: dict, body: bytes = b'') -> tuple:
    """POST /predict with the headers of a same-origin JSON POST
    (JSON_POST) updated by ``headers``, and ``body``."""
    return raw_request(server, 'POST /predict HTTP/1.1', dict(JSON_POST, **headers), body)


def predict_body(image: np.ndarray, expressions='the red car') -> bytes:
    png = cv2.imencode('.png', image)[1].tobytes()
    return json.dumps(dict(image=base64.b64encode(png).decode(),
                           expressions=expressions)).encode()


@pytest.mark.parametrize('headers,status,error', [
    ({}, 411, 'send the body with a Content-Length header'),
    ({'Transfer-Encoding': 'chunked'}, 411, 'chunked bodies are not accepted; send '
                                            'Content-Length'),
    ({'Content-Length': '-5'}, 400, "Content-Length '-5' is not a number of bytes"),
    ({'Content-Length': 'many'}, 400, "Content-Length 'many' is not a number of bytes"),
    ({'Content-Length': str(10**12)}, 413, f'the upload is {10**12} bytes, over the 20 MiB '
                                           'limit'),
])
def test_content_length_is_strict(limited_server, headers, status, error):
    assert raw_post(limited_server, headers) == (status, dict(error=error))


def test_a_content_length_of_non_ascii_digits_is_not_a_number(limited_server):
    """'²' (0xB2 in the Latin-1 that HTTP headers are read in) passes
    str.isdigit() yet is no number of bytes."""
    with connect(limited_server) as sock:
        sock.sendall(b'POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     b'Content-Type: application/json\r\nContent-Length: \xb2\r\n\r\n{}')
        assert read_response(sock) == (
            400, dict(error="Content-Length '\xb2' is not a number of bytes"))


def test_expressions_longer_than_the_limit_are_refused(limited_server):
    image = np.zeros((10, 10, 3), np.uint8)
    body = predict_body(image, ['a dog', 'x' * 501])
    assert raw_post(limited_server, {'Content-Length': len(body)}, body) == (
        400, dict(error='an expression may have at most 500 characters, one has 501 '
                        f'("{"x" * 20}..."): shorten it'))
    body = predict_body(image, ['x' * 500])
    status, answer = raw_post(limited_server, {'Content-Length': len(body)}, body)
    assert status == 200 and answer['results'][0]['text'] == 'x' * 500


def test_a_short_body_times_out_with_408(limited_server):
    with connect(limited_server) as sock:
        sock.sendall(b'POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ima')
        start = time.monotonic()
        status, body = read_response(sock)
    assert (status, body) == (408, dict(error='the body did not arrive within 2 s'))
    assert time.monotonic() - start > LIMITS['timeout'] - 0.5  # it did wait


def test_a_body_that_stops_short_is_refused(limited_server):
    with connect(limited_server) as sock:
        sock.sendall(b'POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ima')
        sock.shutdown(socket.SHUT_WR)
        assert read_response(sock) == (400, dict(error='the body ended after 5 of 100 bytes'))


def test_an_idle_connection_is_closed(limited_server):
    with connect(limited_server) as sock:
        start = time.monotonic()
        assert sock.recv(1024) == b''  # closed by the server, nothing sent
        assert time.monotonic() - start > LIMITS['timeout'] - 0.5  # it did wait


def health(server) -> int:
    return raw_request(server, 'GET /health HTTP/1.1', {'Host': '127.0.0.1'})[0]


def test_connections_over_the_worker_limit_get_503(busy_server):
    """The server accepts connections in the order they were made (the
    kernel's accept queue) and takes a worker slot as it accepts one, so once
    both idle connections are open the next one finds no slot: no sleep is
    needed, and with a 600 s timeout the idle ones stay until closed."""
    idle = [connect(busy_server) for _ in range(LIMITS['workers'])]
    try:
        for _ in range(3):
            assert raw_request(busy_server, 'GET /health HTTP/1.1', {'Host': '127.0.0.1'}) == \
                (503, dict(error='the demo is busy with other requests; try again in a moment'))
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + WAIT  # the slots come back once the handlers see EOF
    while health(busy_server) != 200:
        assert time.monotonic() < deadline, 'the worker slots were not released'
        time.sleep(0.1)


def test_requests_in_a_row_never_find_the_slots_taken(limited_server):
    """A request's worker slot is free again once its client has read the
    whole answer: requests made one after another's answer never get 503,
    however little time lies between them."""
    assert [health(limited_server) for _ in range(30)] == [200] * 30


def test_images_over_the_pixel_limit_are_refused_from_their_header(limited_server):
    body = predict_body(np.zeros((50, 101, 3), np.uint8))
    assert raw_post(limited_server, {'Content-Length': len(body)}, body) == \
        (413, dict(error='the image is 101x50 (5050 pixels); this demo takes at most 5000 '
                         'pixels (--max-pixels): send a smaller one'))
    body = predict_body(np.zeros((50, 100, 3), np.uint8), ['the red car', 'a dog'])
    status, answer = raw_post(limited_server, {'Content-Length': len(body)}, body)
    assert status == 200 and (answer['width'], answer['height']) == (100, 50)
    assert [result['text'] for result in answer['results']] == ['the red car', 'a dog']


def test_errors_are_one_line_json(limited_server):
    for body, error in [
            (b'{"image": 1', 'the request body is not JSON'),
            (b'[]', 'send a JSON object with "image" and "expressions"'),
            (json.dumps(dict(image='', expressions='a')).encode(),
             'the upload is empty (0 bytes); pass an image file (PNG, JPEG, ...)')]:
        assert raw_post(limited_server, {'Content-Length': len(body)}, body) == \
            (400, dict(error=error))


# ------------------------------------------------------- cross-site requests
def test_a_foreign_host_is_refused(limited_server):
    """DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends
    Host: evil.example."""
    error = ("Host 'evil.example:80' is not served here; open the demo at its own address, "
             "or start it with --allowed-hosts evil.example")
    assert raw_request(limited_server, 'GET / HTTP/1.1', {'Host': 'evil.example:80'}) == \
        (403, dict(error=error))
    body = predict_body(np.zeros((8, 8, 3), np.uint8))
    assert raw_post(limited_server, {'Host': 'evil.example:80', 'Content-Length': len(body)},
                    body) == (403, dict(error=error))
    assert raw_request(limited_server, 'GET /health HTTP/1.0', {}) == \
        (403, dict(error='send a Host header'))


@pytest.mark.parametrize('host', ['127.0.0.1', 'localhost:1234', 'LOCALHOST', '[::1]:8',
                                  ALLOWED, f'{ALLOWED}:7860'])
def test_local_and_allowed_hosts_are_served(limited_server, host):
    assert raw_request(limited_server, 'GET /health HTTP/1.1', {'Host': host})[0] == 200


def test_the_page_is_the_static_file_and_names_the_model(limited_server):
    host = f'127.0.0.1:{limited_server[1]}'
    with connect(limited_server) as sock:
        sock.sendall(f'GET / HTTP/1.1\r\nHost: {host}\r\n\r\n'.encode())
        data = b''
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b'HTTP/1.0 200')
    page = (REPO / 'tools' / 'demo' / 'web_demo' / 'index.html').read_bytes()
    assert data.partition(b'\r\n\r\n')[2] == page
    status, info = raw_request(limited_server, 'GET /info HTTP/1.1', {'Host': host})
    assert status == 200 and info['config'].endswith('tiny.py')


@pytest.mark.parametrize('origin', ['http://evil.example', 'null', 'http://127.0.0.1:1',
                                    'https://127.0.0.1'])
def test_a_post_from_another_site_is_refused(limited_server, origin):
    """A page of another site (or another port: another origin) posting
    through the visitor's browser, even as text/plain (a 'simple' request
    that browsers send without asking first)."""
    body = predict_body(np.zeros((8, 8, 3), np.uint8))
    host = f'127.0.0.1:{limited_server[1]}'
    for content_type in ('text/plain', 'application/json'):
        assert raw_post(limited_server, {'Host': host, 'Origin': origin,
                                         'Content-Type': content_type,
                                         'Content-Length': len(body)}, body) == \
            (403, dict(error=f'Origin {origin!r} is another site; the demo answers its own '
                             f'page only (--allowed-hosts adds sites)'))


@pytest.mark.parametrize('origin', ['own', f'http://{ALLOWED}', f'https://{ALLOWED}:8443',
                                    None])
def test_own_allowed_and_absent_origins_are_answered(limited_server, origin):
    """The page's own origin, a site of --allowed-hosts, and no Origin at all
    (curl, scripts: not a browser) get the prediction."""
    host = f'127.0.0.1:{limited_server[1]}'
    origin = f'http://{host}' if origin == 'own' else origin
    body = predict_body(np.zeros((8, 12, 3), np.uint8))
    status, answer = raw_post(limited_server, {'Host': host, 'Origin': origin,
                                               'Content-Length': len(body)}, body)
    assert status == 200 and (answer['width'], answer['height']) == (12, 8)


@pytest.mark.parametrize('content_type', ['text/plain', None, 'multipart/form-data; boundary=x',
                                          'application/x-www-form-urlencoded'])
def test_predict_needs_a_json_content_type(limited_server, content_type):
    body = predict_body(np.zeros((8, 8, 3), np.uint8))
    assert raw_post(limited_server, {'Content-Type': content_type,
                                     'Content-Length': len(body)}, body) == \
        (415, dict(error=f'/predict takes Content-Type: application/json, got '
                         f'{content_type or "none"}'))


def test_json_with_a_charset_is_json(limited_server):
    body = predict_body(np.zeros((8, 8, 3), np.uint8))
    status, _ = raw_post(limited_server, {'Content-Type': 'Application/JSON; charset=utf-8',
                                          'Content-Length': len(body)}, body)
    assert status == 200


def test_a_bad_allowed_host_is_one_line(run_tool, tmp_path):
    result = run_tool('demo/web_demo.py', 'vitb_refcoco', '--weights', tmp_path / 'none.pth',
                      '--allowed-hosts', 'box.local:http')
    assert result.returncode == 2
    assert result.last_line == ("error: --allowed-hosts: port 'http' is not a number; give "
                                'names or name:port')
