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
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest

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
    """The web demo on a free port of 127.0.0.1 with ``options``; yields
    ``(url, log path)`` and stops it (terminate, then kill) however the
    test ends."""
    log_path = folder / 'server.log'
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / 'tools' / 'demo' / 'web_demo.py'), str(config),
             '--weights', str(checkpoint), '--port', '0', '--device', 'cpu', *map(str, options)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
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
    for figure, caption in zip(figures, captions):
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
        assert caption.endswith(f': {int((pixels > 0).sum())} px')


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
WAIT = 15  # s a raw client waits for any answer; bounds every test below


@pytest.fixture(scope='module')
def limited_server(tmp_path_factory, tiny_config):
    """One web demo for the raw HTTP tests, with small limits (LIMITS)."""
    from mmengine.runner import save_checkpoint

    from mmris.apis import init_model
    folder = tmp_path_factory.mktemp('limited_web_demo')
    cfg = tiny_config('vitb')
    config, checkpoint = folder / 'tiny.py', folder / 'tiny.pth'
    cfg.dump(str(config))
    save_checkpoint(init_model(cfg).state_dict(), str(checkpoint))
    with running_web_demo(folder, config, checkpoint, '--timeout', LIMITS['timeout'],
                          '--workers', LIMITS['workers'], '--max-pixels',
                          LIMITS['max_pixels']) as (url, _):
        host, port = url.split('//')[1].split(':')
        yield host, int(port)


def connect(server) -> socket.socket:
    sock = socket.create_connection(server, timeout=WAIT)
    return sock


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


def raw_post(server, headers: dict, body: bytes = b'') -> tuple:
    """POST /predict with exactly ``headers`` and ``body``."""
    lines = ['POST /predict HTTP/1.1', 'Host: 127.0.0.1',
             *(f'{name}: {value}' for name, value in headers.items())]
    with connect(server) as sock:
        sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode() + body)
        return read_response(sock)


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


def test_a_short_body_times_out_with_408(limited_server):
    with connect(limited_server) as sock:
        sock.sendall(b'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"ima')
        start = time.monotonic()
        status, body = read_response(sock)
    assert (status, body) == (408, dict(error='the body did not arrive within 2 s'))
    assert LIMITS['timeout'] - 0.5 < time.monotonic() - start < WAIT


def test_a_body_that_stops_short_is_refused(limited_server):
    with connect(limited_server) as sock:
        sock.sendall(b'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"ima')
        sock.shutdown(socket.SHUT_WR)
        assert read_response(sock) == (400, dict(error='the body ended after 5 of 100 bytes'))


def test_an_idle_connection_is_closed(limited_server):
    with connect(limited_server) as sock:
        start = time.monotonic()
        assert sock.recv(1024) == b''  # closed by the server, nothing sent
        assert LIMITS['timeout'] - 0.5 < time.monotonic() - start < WAIT


def test_connections_over_the_worker_limit_get_503(limited_server):
    idle = [connect(limited_server) for _ in range(LIMITS['workers'])]
    try:
        time.sleep(0.5)  # both are being served (waiting for a request)
        with connect(limited_server) as sock:
            sock.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
            start = time.monotonic()
            status, body = read_response(sock)
        assert status == 503 and time.monotonic() - start < 1
        assert body == dict(error='the demo is busy with other requests; try again in a moment')
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + WAIT  # the slots come back
    while True:
        with connect(limited_server) as sock:
            sock.sendall(b'GET /health HTTP/1.1\r\nHost: x\r\n\r\n')
            if read_response(sock)[0] == 200:
                break
        assert time.monotonic() < deadline, 'the worker slots were not released'
        time.sleep(0.2)


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
