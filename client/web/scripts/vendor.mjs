// Copy the browser's third-party code from node_modules (installed by
// `npm ci --prefix client/web` from package-lock.json) into vendor/.
//
//   node client/web/scripts/vendor.mjs            # write vendor/
//   node client/web/scripts/vendor.mjs --check    # exit 1 if vendor/ differs
//
// The files are copied unchanged (the packages are ES modules whose imports
// are all relative, so no bundler is needed), which keeps each vendored file
// byte-identical to the file in the npm tarball whose integrity the lock file
// pins. tests/js/vendor.test.mjs runs the check.

import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Package → vendor folder and the files the browser imports (with their imports). */
export const VENDORED = [
  { pkg: '@noble/ed25519', dir: 'noble-ed25519', files: ['index.js', 'LICENSE'] },
  {
    pkg: '@noble/hashes',
    dir: 'noble-hashes',
    files: ['sha2.js', 'hmac.js', 'hkdf.js', 'utils.js', '_md.js', '_u64.js', 'LICENSE'],
  },
  // QR decoding where the browser has no BarcodeDetector: a UMD script loaded
  // by the classic worker js/app/qr-worker.js (importScripts), never a module.
  { pkg: 'jsqr', dir: 'jsqr', files: ['dist/jsQR.js', 'LICENSE'] },
];

/** Every vendored file: its path under vendor/ and the bytes it must hold. */
export function expectedFiles(web = WEB) {
  const out = new Map();
  for (const { pkg, dir, files } of VENDORED) {
    const root = join(web, 'node_modules', pkg);
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
    const pinned = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8')).dependencies[pkg];
    if (version !== pinned) {
      throw new Error(`${pkg} ${version} installed, ${pinned} pinned: run npm ci --prefix client/web`);
    }
    for (const file of files) out.set(`${dir}/${file}`, readFileSync(join(root, file)));
  }
  return out;
}

/** Paths under vendor/ whose bytes differ from `expected`, plus stray files. */
export function differences(expected, vendor = join(WEB, 'vendor')) {
  const bad = [];
  for (const [path, bytes] of expected) {
    const file = join(vendor, path);
    if (!existsSync(file) || !readFileSync(file).equals(bytes)) bad.push(path);
  }
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [relative(vendor, join(dir, e.name))],
    );
  if (existsSync(vendor)) bad.push(...walk(vendor).filter((p) => !expected.has(p)));
  return bad;
}

function main(argv) {
  const expected = expectedFiles();
  if (argv.includes('--check')) {
    const bad = differences(expected);
    for (const path of bad) console.error(`differs: vendor/${path}`);
    console.log(`${expected.size} vendored files checked: ${bad.length} differ`);
    return bad.length ? 1 : 0;
  }
  for (const [path, bytes] of expected) {
    const file = join(WEB, 'vendor', path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  console.log(`${expected.size} files written to client/web/vendor/`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
