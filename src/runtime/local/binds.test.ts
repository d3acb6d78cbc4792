import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bindsOf, hostPathOf, pathRewriter } from './binds.ts';

const binds = bindsOf([
  { source: 'project', hostPath: '/home/ann/proj', target: '/project-dir' },
  { source: 'data', hostPath: '/srv/data', target: '/data' },
  { source: 'project', hostPath: '/home/ann/proj2', target: '/data/inner/' },
]);
const rewrite = pathRewriter(binds);

describe('bind path rewriting', () => {
  test('rewrites a target at the start, after =, :, space and quotes', () => {
    assert.equal(rewrite('/project-dir/app.py'), '/home/ann/proj/app.py');
    assert.equal(rewrite('--logdir=/data'), '--logdir=/srv/data');
    assert.equal(rewrite('/project-dir:/data/x'), '/home/ann/proj:/srv/data/x');
    assert.equal(rewrite(`-c 'umask 002 && cd /project-dir && python "/data/a.py"'`), `-c 'umask 002 && cd /home/ann/proj && python "/srv/data/a.py"'`);
  });

  test('leaves longer names and paths inside other paths alone', () => {
    assert.equal(rewrite('/data2/x'), '/data2/x');
    assert.equal(rewrite('/data.csv'), '/data.csv');
    assert.equal(rewrite('/opt/data/x'), '/opt/data/x');
    assert.equal(rewrite('http://host/data'), 'http://host/data');
  });

  test('the longest target wins', () => {
    assert.equal(rewrite('/data/inner/file'), '/home/ann/proj2/file');
    assert.equal(rewrite('/data/innerx'), '/srv/data/innerx');
  });

  test('maps container paths inside a bind to host paths', () => {
    assert.equal(hostPathOf('/data/inner/a', binds), '/home/ann/proj2/a');
    assert.equal(hostPathOf('/project-dir', binds), '/home/ann/proj');
    assert.equal(hostPathOf('/usr/src/app', binds), undefined);
  });

  test('no binds: strings pass unchanged', () => {
    assert.equal(pathRewriter([])('/project-dir/x'), '/project-dir/x');
  });
});
