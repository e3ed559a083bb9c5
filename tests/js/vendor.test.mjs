// The committed client/web/vendor/ is exactly what scripts/vendor.mjs copies
// from node_modules, and node_modules is what package-lock.json pins.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VENDORED, differences, expectedFiles } from '../../client/web/scripts/vendor.mjs';
import { ROOT } from './vectors.mjs';

const WEB = join(ROOT, 'client', 'web');

test('node_modules is installed from the lock file', () => {
  assert.ok(existsSync(join(WEB, 'node_modules')), 'run `npm ci --prefix client/web` (make node-deps)');
  const lock = JSON.parse(readFileSync(join(WEB, 'package-lock.json'), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(WEB, 'package.json'), 'utf8'));
  for (const { pkg: name } of VENDORED) {
    const pinned = pkg.dependencies[name];
    assert.match(pinned, /^\d+\.\d+\.\d+$/, `${name} must be pinned to an exact version`);
    assert.equal(lock.packages[`node_modules/${name}`].version, pinned);
    const installed = JSON.parse(readFileSync(join(WEB, 'node_modules', name, 'package.json'), 'utf8'));
    assert.equal(installed.version, pinned, `${name}: run npm ci --prefix client/web`);
  }
});

test('vendor/ is byte-identical to the files copied from node_modules', () => {
  const expected = expectedFiles(WEB);
  assert.ok(expected.size >= 9);
  assert.deepEqual(differences(expected, join(WEB, 'vendor')), []);
});

test('a changed or stray vendored file is reported', () => {
  const expected = expectedFiles(WEB);
  const altered = new Map(expected);
  const first = [...altered.keys()][0];
  altered.set(first, Buffer.concat([altered.get(first), Buffer.from('\n')]));
  altered.delete([...altered.keys()][1]);
  const bad = differences(altered, join(WEB, 'vendor'));
  assert.ok(bad.includes(first));
  assert.ok(bad.includes([...expected.keys()][1]));
});

test('no vendored module imports a bare specifier (the browser could not resolve it)', () => {
  for (const [path, bytes] of expectedFiles(WEB)) {
    if (!path.endsWith('.js')) continue;
    const code = bytes.toString('utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const m of code.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
      assert.ok(m[1].startsWith('./'), `${path} imports ${m[1]}`);
    }
  }
});
