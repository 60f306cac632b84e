import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { writeTestModel } from './test-model';

describe('server-cli', () => {
  it('stops with the process that started it (as when npx gets SIGTERM and its children are left behind)', async () => {
    const modelFile = await writeTestModel();
    const cli = path.join(__dirname, 'server-cli.ts');
    // sh stays the server's parent (it has a command after it); SIGKILL leaves the server orphaned
    const launcher = spawn('sh', ['-c', `"${process.execPath}" --import "${require.resolve('tsx')}" "${cli}" --model "${modelFile}" --port 0 --workers 0; true`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const [url, pid] = await new Promise<[string, number]>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`not ready: ${err}`)), 60_000);
      launcher.stderr!.on('data', (d) => {
        err += d;
        const m = /on (http:\/\/127\.0\.0\.1:\d+) \(ready, pid (\d+)\)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve([m[1], Number(m[2])]);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    launcher.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    let up = true;
    while (up && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      up = await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      );
    }
    if (up) process.kill(pid, 'SIGKILL'); // the check failed: leave no server behind
    expect(up).toBe(false);
  });
});
