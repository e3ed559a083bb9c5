// Test only: the booth's QR scanner in Debian's chromium with a fake camera,
// driven by tests/e2e/test_qr_scan.py:
//
//   node tests/e2e/qr_scan.mjs '{"base", "election", "artifacts",
//     "videos": {"code", "url", "blank"}, "typed"}'
//
// Each video (YUV4MPEG2) is the camera of its own browser: the flag that names
// the file is a command-line flag. A test-side script, run before the page's
// own, records every camera track the page opens and the code field's value
// at each submission of the code form, and can hold getUserMedia open to stop
// the scan while the camera is still opening. Waits are on test ids and step
// attributes, never on time. Prints one JSON line (what it saw).

import assert from 'node:assert/strict';
import { join } from 'node:path';

import { PHONE, atStep, camera, launch, message, runDriver, watch } from './browser.mjs';

function fakeCamera(video) {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${video}`,
  ];
}

/** In the page, before its scripts: the camera tracks it opens, the codes it submits. */
function spy() {
  if (!globalThis.navigator?.mediaDevices) return; // about:blank, before the booth
  const tracks = [];
  const submitted = [];
  let gate = null;
  const media = navigator.mediaDevices;
  const open = media.getUserMedia.bind(media);
  media.getUserMedia = async (constraints) => {
    if (gate) await gate.promise;
    const stream = await open(constraints);
    tracks.push(...stream.getVideoTracks());
    return stream;
  };
  document.addEventListener('submit', (event) => {
    if (event.target.id === 'code-form') submitted.push(document.getElementById('code-input').value);
  }, true);
  globalThis.__qrSpy = {
    tracks,
    submitted,
    hold() {
      let release;
      const promise = new Promise((resolve) => { release = resolve; });
      gate = { promise, release };
    },
    release() {
      gate?.release();
      gate = null;
    },
  };
}

/** The camera as the page holds it: tracks opened, still live, and on the video element. */
function cameraState(page) {
  return page.evaluate(() => ({
    opened: globalThis.__qrSpy.tracks.length,
    live: globalThis.__qrSpy.tracks.filter((t) => t.readyState === 'live').length,
    attached: document.getElementById('scanner-video').srcObject !== null,
  }));
}

const submitted = (page) => page.evaluate(() => [...globalThis.__qrSpy.submitted]);
const focused = (page) => page.evaluate(() => document.activeElement?.dataset.testid ?? null);

async function booth(browser, args, lang = 'vi') {
  const context = await browser.newContext({ ...PHONE });
  await context.grantPermissions(['camera'], { origin: args.base });
  const problems = await watch(context);
  await context.addInitScript(spy);
  const page = await context.newPage();
  const lookups = [];
  const roll = `${args.base}/api/elections/${args.election}/credentials`;
  page.on('request', (r) => { if (r.url() === roll) lookups.push(r.url()); });
  await page.goto(`${args.base}/?election=${encodeURIComponent(args.election)}`);
  await atStep(page, 'code');
  if (lang !== 'vi') await switchLanguage(page, lang);
  const scan = page.getByRole('button', { name: message(lang, 'code.scan') });
  await scan.waitFor({ state: 'visible' });
  assert.equal(await scan.getAttribute('data-testid'), 'scan-qr');
  return { context, problems, page, lookups };
}

async function switchLanguage(page, lang) {
  await page.getByTestId('language-switch').tap();
  await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
}

/** The scanner open, the camera's picture playing in it. */
async function scanning(page, lang) {
  await page.getByRole('button', { name: message(lang, 'code.scan') }).tap();
  await page.getByTestId('scanner').waitFor({ state: 'visible' });
  await page.waitForFunction(() => {
    const video = document.getElementById('scanner-video');
    return video.readyState >= 2 && video.videoWidth > 0 && !video.paused;
  });
}

async function expectCodeMessage(page, lang, key) {
  const text = page.getByTestId('code-message').locator(`[data-i18n="${key}"]`);
  await text.waitFor({ state: 'visible' });
  assert.equal((await text.textContent()).trim(), message(lang, key));
}

// ---- the sheet's QR code: read, submitted, on to the ballot -------------------

async function readCode(browser, args, shot) {
  const { context, problems, page, lookups } = await booth(browser, args);
  await page.getByRole('button', { name: message('vi', 'code.scan') }).tap();
  await atStep(page, 'ballot');
  await page.waitForFunction((want) => document.getElementById('live').textContent.trim() === want,
    message('vi', 'code.scanned'));
  const seen = {
    submitted: await submitted(page),
    fieldAfter: await page.getByTestId('code-input').inputValue(),
    camera: await cameraState(page),
    rollLookups: lookups.length,
  };
  assert.equal(await page.getByTestId('scanner').isHidden(), true);
  await shot(page, 'vi-qr-read-ballot');
  seen.problems = [...problems];
  await context.close();
  return seen;
}

// ---- a QR code that is not a credential code: said, nothing filled in ----------

async function readUrl(browser, args, shot) {
  const { context, problems, page } = await booth(browser, args);
  await page.getByRole('button', { name: message('vi', 'code.scan') }).tap();
  await expectCodeMessage(page, 'vi', 'code.scanNotCode');
  await page.getByTestId('scanner').waitFor({ state: 'hidden' });
  const seen = {
    submitted: await submitted(page),
    field: await page.getByTestId('code-input').inputValue(),
    camera: await cameraState(page),
    step: await page.evaluate(() => document.body.dataset.step),
    focus: await focused(page),
  };
  await shot(page, 'vi-qr-not-a-code');
  await switchLanguage(page, 'en');
  await expectCodeMessage(page, 'en', 'code.scanNotCode');
  await shot(page, 'en-qr-not-a-code');
  seen.problems = [...problems];
  await context.close();
  return seen;
}

// ---- no QR code in sight: the scan screen, stop, type instead -------------------

async function blank(browser, args, shot) {
  const { context, problems, page } = await booth(browser, args);
  const seen = {};
  await scanning(page, 'vi');
  assert.equal((await page.getByTestId('scanner').locator('p').textContent()).trim(), message('vi', 'code.scanHint'));
  seen.scanning = await cameraState(page);
  await shot(page, 'vi-qr-scanning');
  await page.getByRole('button', { name: message('vi', 'code.scanStop') }).tap();
  await page.getByTestId('scanner').waitFor({ state: 'hidden' });
  seen.stopped = await cameraState(page);
  seen.stopFocus = await focused(page);

  // "stop" while the browser is still opening the camera: the stream that
  // arrives afterwards is closed at once
  await page.evaluate(() => globalThis.__qrSpy.hold());
  await page.getByRole('button', { name: message('vi', 'code.scan') }).tap();
  await page.getByTestId('scanner').waitFor({ state: 'visible' });
  await page.getByRole('button', { name: message('vi', 'code.scanStop') }).tap();
  await page.getByTestId('scanner').waitFor({ state: 'hidden' });
  await page.evaluate(() => globalThis.__qrSpy.release());
  await page.waitForFunction(() => globalThis.__qrSpy.tracks.length === 2);
  const raced = await cameraState(page);

  // the code typed while the camera is open: continuing closes the camera
  await switchLanguage(page, 'en');
  await scanning(page, 'en');
  assert.equal((await page.getByTestId('scanner').locator('p').textContent()).trim(), message('en', 'code.scanHint'));
  await shot(page, 'en-qr-scanning');
  await page.getByRole('textbox', { name: message('en', 'code.label') }).fill(args.typed);
  await page.getByRole('button', { name: message('en', 'action.continue') }).tap();
  await atStep(page, 'ballot');
  seen.typedWhileScanning = await cameraState(page);
  seen.submitted = await submitted(page);
  await shot(page, 'en-typed-while-scanning-ballot');
  seen.stoppedWhileOpening = raced;
  seen.problems = [...problems];
  await context.close();
  return seen;
}

runDriver(async (args) => {
  const shots = [];
  const shot = camera(args.artifacts, shots);
  const out = {};
  for (const [name, scene] of [['code', readCode], ['url', readUrl], ['blank', blank]]) {
    const browser = await launch(fakeCamera(args.videos[name]));
    try {
      out[name] = await scene(browser, args, shot);
    } catch (err) {
      for (const [c, context] of browser.contexts().entries()) {
        for (const [p, page] of context.pages().entries()) {
          await shot(page, `FAILED-${name}-${c}-${p}`).catch(() => {});
        }
      }
      throw err;
    } finally {
      await browser.close();
    }
  }
  return { ...out, shots };
});
