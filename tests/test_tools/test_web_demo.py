"""tools/demo/web_demo.py driven by a real headless Chromium (selenium):
upload an image, type expressions, submit, and read the masks back.

Needs Debian's ``chromium`` and ``chromium-driver`` (.ci/run installs them
where missing) and the ``selenium`` package (requirements/tests.txt); the
browser test is skipped, saying why, only where no browser is found.
"""
import base64
import json
import os
import re
import shutil
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


@pytest.fixture
def web_demo_server(tmp_path, tiny_model_files):
    """The web demo on a free port with a tiny model; yields its URL and
    stops it (terminate, then kill) however the test ends."""
    config, checkpoint, _ = tiny_model_files
    log_path = tmp_path / 'server.log'
    with open(log_path, 'w') as log:
        process = subprocess.Popen(
            [sys.executable, str(REPO / 'tools' / 'demo' / 'web_demo.py'), str(config),
             '--weights', str(checkpoint), '--port', '0', '--device', 'cpu'],
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
        (400, dict(error='the upload could not be read as an image (use PNG, JPEG, ...)'))
    assert post(dict(image=image, expressions=' \n ')) == \
        (400, dict(error='type at least one expression'))
    status, answer = post(dict(image='data:image/png;base64,' + image, expressions=['a', 'b']))
    assert status == 200 and (answer['width'], answer['height']) == (12, 8)
    assert [r['text'] for r in answer['results']] == ['a', 'b']
    assert decode_data_url(answer['results'][0]['mask']).shape == (8, 12)
