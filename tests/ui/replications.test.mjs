// Administration → Replications in a real browser: a push rule to a docker-registry
// endpoint made through the form (a bad cron refused with the server's reason first),
// Replicate, the execution watched to Succeeded, the task and its log, and the image
// found in the docker-registry; Edit; a pull-based rule bringing the image back; Stop of
// a slow run; Delete. Against a real
// `berth serve` and a real docker-registry.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  assertNoUnexpectedErrors,
  focusedId,
  openSession,
  pressButton,
  screenshots,
  signIn,
  startBerth,
  startCncfRegistry,
} from './harness.mjs';

// Chromium reports every non-2xx fetch on the console; the refused cron is provoked on purpose.
const kExpectedFailures = /Failed to load resource: the server responded with a status of 400/;
const kOciManifest = 'application/vnd.oci.image.manifest.v1+json';

const screenshot = screenshots('replications');

const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// Pushes a one-layer OCI image to `repository:tag` over the distribution API (admin's Basic
// credentials); returns the manifest digest.
async function pushImage(registry, repository, tag, layerBytes) {
  const auth = { Authorization: registry.auth };
  const upload = async (bytes) => {
    const digest = sha256(bytes);
    const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: auth });
    assert.equal(start.status, 202, `start upload: ${await start.text()}`);
    const location = new URL(start.headers.get('location'), registry.url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { ...auth, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    assert.equal(put.status, 201, `finish upload: ${await put.text()}`);
    return { digest, size: bytes.length };
  };
  const layer = await upload(layerBytes);
  const config = await upload(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        config: {},
      }),
    ),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: kOciManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  const put = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': kOciManifest },
    body: manifest,
  });
  assert.equal(put.status, 201, `push manifest: ${await put.text()}`);
  return sha256(manifest);
}

describe('replications', () => {
  let session;
  let berth;
  let cncf;
  let page;
  let helloDigest;

  before(async () => {
    session = await openSession('replications', (dir) => [startBerth(`${dir}/berth`), startCncfRegistry(`${dir}/cncf`)]);
    [berth, cncf] = session.servers;
    ({ page } = session);
    await berth.api('POST', '/registries', { name: 'cncf', type: 'docker-registry', url: cncf.url });
    helloDigest = await pushImage(berth, 'library/hello', 'v1', randomBytes(2048));
    // A bigger image in another project for the slow run that gets stopped.
    await berth.api('POST', '/projects', { project_name: 'big', metadata: { public: 'false' } });
    await pushImage(berth, 'big/blob', 'v1', randomBytes(256 * 1024));
  });

  after(() => session?.close());

  const dialog = () => page.locator('berth-rule-dialog dialog');
  const confirm = () => page.locator('berth-confirm-dialog dialog');
  const row = (name) => page.locator(`tr[data-name="${name}"]`);
  const notice = () => page.getByTestId('notice');
  const executions = () => page.getByRole('table', { name: 'Executions' });
  const tasks = () => page.getByRole('table', { name: 'Tasks' });

  test('sign in and open Replications: no rules yet', async () => {
    await page.goto(`${berth.url}/harbor/replications`);
    await page.waitForURL(/\/account\/sign-in\?redirect_url=/);
    await signIn(page);
    await page.waitForURL(/\/harbor\/replications$/);
    await page.getByText('We couldn’t find any replication rules!').waitFor();
    for (const name of ['Edit', 'Delete', 'Replicate']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).isDisabled(), true, `${name} needs a rule`);
    }
  });

  test('new push rule: a bad cron is refused with the server reason, a good one is saved', async () => {
    await page.getByRole('button', { name: '+ New Replication Rule' }).click();
    await dialog().getByRole('heading', { name: 'New Replication Rule' }).waitFor();
    const save = dialog().getByRole('button', { name: 'Save' });
    assert.equal(await save.isDisabled(), true, 'Save is disabled on an empty form');

    await dialog().locator('#rule-name').fill('to-cncf');
    await dialog().getByLabel('Description').fill('library images to the CNCF registry');
    assert.equal(await dialog().getByLabel('Push-based').isChecked(), true, 'push is the default mode');
    await dialog().getByLabel('Name filter', { exact: true }).fill('library/**');
    await dialog().getByLabel('Tag filter: matching or excluding').selectOption('matches');
    await dialog().getByLabel('Tag filter', { exact: true }).fill('v*');
    assert.equal(await save.isDisabled(), true, 'Save is disabled without a destination registry');
    await dialog().getByLabel('Destination registry').selectOption({ label: `cncf-${cncf.url} (Docker Registry)` });
    await dialog().getByLabel('Namespace').fill('mirror');
    await dialog().getByLabel('Flattening').selectOption({ label: 'Flatten All Levels' });
    await dialog().getByLabel('Trigger Mode').selectOption('scheduled');
    assert.equal(await save.isDisabled(), true, 'Save is disabled without a cron');

    // Five fields: the server refuses it and says why.
    await dialog().getByLabel('Cron String').fill('0 2 * * *');
    await save.click();
    const error = dialog().getByTestId('rule-error');
    await error.filter({ hasText: 'has 5 fields; give 6' }).waitFor();
    await screenshot(page, 'bad-cron-refused');
    // A seconds field other than 0: refused too, with its own reason.
    await dialog().getByLabel('Cron String').fill('30 0 * * * *');
    await save.click();
    await error.filter({ hasText: 'the seconds field must be "0"' }).waitFor();

    await dialog().getByLabel('Cron String').fill('0 0 2 * * *');
    await dialog().getByLabel('Bandwidth', { exact: true }).fill('-1');
    assert.equal(await dialog().getByLabel('Override').isChecked(), true);
    assert.equal(await dialog().getByLabel('Enable rule').isChecked(), true);
    await screenshot(page, 'rule-form');
    await save.click();
    await dialog().waitFor({ state: 'hidden' });
    await notice().filter({ hasText: 'Replication rule to-cncf was saved.' }).waitFor();
    const cells = row('to-cncf').locator('td');
    await row('to-cncf').waitFor();
    const text = async (i) => (await cells.nth(i).textContent()).trim();
    assert.equal(await text(1), 'to-cncf');
    assert.equal(await text(2), 'Enabled');
    assert.equal(await text(3), 'push-based');
    assert.equal(await text(4), 'Local');
    assert.equal(await text(5), 'cncf');
    assert.equal(await text(6), 'mirror');
    assert.equal(await text(7), 'Scheduled (0 0 2 * * *)');
    assert.equal(await text(8), 'library images to the CNCF registry');

    // The rule as stored is what the form said.
    const [stored] = await berth.api('GET', '/replication/policies?q=name%3Dto-cncf');
    assert.deepEqual(stored.filters, [
      { type: 'name', value: 'library/**' },
      { type: 'tag', value: 'v*', decoration: 'matches' },
    ]);
    assert.equal(stored.dest_namespace_replace_count, -1);
    assert.equal(stored.override, true);
    assert.equal(stored.replicate_deletion, false);
  });

  test('Replicate: the execution reaches Succeeded, its task has a log, the image arrives', async () => {
    await row('to-cncf').getByRole('radio').check();
    await page.getByRole('heading', { name: 'Executions of to-cncf' }).waitFor();
    await page.getByRole('button', { name: 'Replicate', exact: true }).click();
    await confirm().getByRole('heading', { name: 'Confirm replication' }).waitFor();
    await confirm().getByRole('button', { name: 'Replicate' }).click();
    await notice().filter({ hasText: 'Replication of rule to-cncf started.' }).waitFor();

    const first = executions().locator('tbody tr[data-execution]').first();
    await first.getByTestId('execution-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30000 });
    assert.match(await first.getByTestId('counters').textContent(), /1 succeeded, 0 failed, 0 in progress, 0\s+stopped, 1 total/);
    assert.equal((await first.locator('td').nth(3).textContent()).trim(), 'Manual');
    assert.notEqual((await first.locator('td').nth(6).textContent()).trim(), '', 'an end time is shown');

    // The new execution is selected: its task is listed.
    const task = tasks().locator('tbody tr[data-task]').first();
    await task.getByTestId('task-status').filter({ hasText: 'Succeeded' }).waitFor();
    assert.match(await task.locator('td').nth(1).textContent(), /library\/hello/);
    assert.match(await task.locator('td').nth(2).textContent(), /mirror\/hello/);
    await screenshot(page, 'execution-succeeded');

    await task.getByRole('button', { name: /^Log of task/ }).click();
    const log = page.getByTestId('task-log');
    await log.waitFor();
    assert.match(await log.textContent(), /copied mirror\/hello@sha256:[0-9a-f]{64} as \[v1\]/);
    assert.match(await log.textContent(), /the task succeeded/);
    await screenshot(page, 'task-log');
    // The same log as plain text in a tab of its own.
    const [tab] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'Open as text' }).click()]);
    await tab.waitForLoadState();
    assert.equal(await tab.evaluate(() => document.contentType), 'text/plain');
    assert.equal((await tab.evaluate(() => document.body.innerText)).trim(), (await log.textContent()).trim());
    await tab.close();
    await page.keyboard.press('Escape');
    await log.waitFor({ state: 'hidden' });

    // The image is in the docker-registry, under the flattened name, with the same digest.
    const manifest = await fetch(`${cncf.url}/v2/mirror/hello/manifests/v1`, { headers: { Accept: kOciManifest } });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), helloDigest);
  });

  test('Edit: the form shows the stored rule and saves the change', async () => {
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await dialog().getByRole('heading', { name: 'Edit Replication Rule' }).waitFor();
    assert.equal(await dialog().locator('#rule-name').inputValue(), 'to-cncf');
    assert.equal(await dialog().getByLabel('Name filter', { exact: true }).inputValue(), 'library/**');
    assert.equal(await dialog().getByLabel('Cron String').inputValue(), '0 0 2 * * *');
    assert.equal(await dialog().getByLabel('Flattening').inputValue(), '-1');
    await dialog().getByLabel('Trigger Mode').selectOption('manual');
    await dialog().getByLabel('Description').fill('by hand only');
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row('to-cncf').locator('td').nth(8).filter({ hasText: 'by hand only' }).waitFor();
    assert.equal((await row('to-cncf').locator('td').nth(7).textContent()).trim(), 'Manual');
  });

  test('pull-based rule: the image comes back from the docker-registry into Berth', async () => {
    await page.getByRole('button', { name: '+ New Replication Rule' }).click();
    await dialog().getByRole('heading', { name: 'New Replication Rule' }).waitFor();
    await dialog().locator('#rule-name').fill('from-cncf');
    await dialog().getByLabel('Pull-based').check();
    // Pull rules have a source registry and no destination registry, deletion switch or event trigger.
    assert.equal(await dialog().getByLabel('Destination registry').count(), 0);
    assert.equal(await dialog().getByLabel('Delete remote resources when locally deleted').count(), 0);
    assert.deepEqual(
      await dialog().getByLabel('Trigger Mode').locator('option').allTextContents(),
      ['Manual', 'Scheduled'],
    );
    await dialog().getByLabel('Source registry').selectOption({ label: `cncf-${cncf.url} (Docker Registry)` });
    await dialog().getByLabel('Name filter', { exact: true }).fill('mirror/**');
    await dialog().getByLabel('Namespace').fill('big');
    await dialog().getByLabel('Flattening').selectOption({ label: 'Flatten All Levels' });
    await dialog().getByLabel('Bandwidth', { exact: true }).fill('10');
    await dialog().getByLabel('Bandwidth unit').selectOption('Mbps');
    await dialog().getByLabel('Single active replication').check();
    await dialog().getByRole('button', { name: 'Save' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row('from-cncf').waitFor();
    const cells = row('from-cncf').locator('td');
    assert.equal((await cells.nth(3).textContent()).trim(), 'pull-based');
    assert.equal((await cells.nth(4).textContent()).trim(), 'cncf');
    assert.equal((await cells.nth(5).textContent()).trim(), 'Local');
    const [stored] = await berth.api('GET', '/replication/policies?q=name%3Dfrom-cncf');
    assert.equal(stored.speed, 10 * 1024);
    assert.equal(stored.single_active_replication, true);

    await row('from-cncf').getByRole('radio').check();
    await page.getByRole('button', { name: 'Replicate', exact: true }).click();
    await confirm().getByRole('button', { name: 'Replicate' }).click();
    const first = executions().locator('tbody tr[data-execution]').first();
    await first.getByTestId('execution-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 30000 });
    await tasks().locator('tbody tr[data-task]').first().getByTestId('task-status').filter({ hasText: 'Succeeded' }).waitFor();
    const manifest = await fetch(`${berth.url}/v2/big/hello/manifests/v1`, {
      headers: { Accept: kOciManifest, Authorization: berth.auth },
    });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), helloDigest);
  });

  test('Stop: a slow run shows its progress and is stopped', async () => {
    // 8 Kbps (1 KB/s) for a 256 KB layer: minutes, unless stopped.
    await berth.api('POST', '/replication/policies', {
      name: 'slow',
      dest_registry: { id: (await berth.api('GET', '/registries'))[0].id },
      filters: [{ type: 'name', value: 'big/**' }],
      speed: 8,
    });
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await row('slow').getByRole('radio').check();
    await page.getByRole('heading', { name: 'Executions of slow' }).waitFor();
    await page.getByRole('button', { name: 'Replicate', exact: true }).click();
    await confirm().getByRole('button', { name: 'Replicate' }).click();
    const first = executions().locator('tbody tr[data-execution]').first();
    await first.getByTestId('execution-status').filter({ hasText: 'In Progress' }).waitFor();
    await tasks().locator('tbody tr[data-task]').first().getByTestId('task-status').filter({ hasText: 'In Progress' }).waitFor();
    await screenshot(page, 'execution-in-progress');

    const stop = page.getByRole('button', { name: 'Stop', exact: true });
    await stop.click();
    await confirm().getByRole('button', { name: 'Stop' }).click();
    await first.getByTestId('execution-status').filter({ hasText: 'Stopped' }).waitFor({ timeout: 20000 });
    assert.equal(await stop.isDisabled(), true, 'a stopped execution cannot be stopped again');
    await screenshot(page, 'execution-stopped');
  });

  test('an event-based run appears by itself, without Refresh', async () => {
    await berth.api('POST', '/projects', { project_name: 'events', metadata: { public: 'false' } });
    await berth.api('POST', '/replication/policies', {
      name: 'on-push',
      dest_registry: { id: (await berth.api('GET', '/registries'))[0].id },
      filters: [{ type: 'name', value: 'events/**' }],
      trigger: { type: 'event_based' },
    });
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await row('on-push').getByRole('radio').check();
    await page.getByRole('heading', { name: 'Executions of on-push' }).waitFor();
    await executions().getByText('No executions yet').waitFor();
    await pushImage(berth, 'events/app', 'v1', randomBytes(1024));
    const first = executions().locator('tbody tr[data-execution]').first();
    await first.getByTestId('execution-status').filter({ hasText: 'Succeeded' }).waitFor({ timeout: 20000 });
  });

  test('Delete asks first, then removes the rule', async () => {
    await row('slow').getByRole('radio').check();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm().getByRole('heading', { name: 'Confirm removal of replication rule' }).waitFor();
    await confirm().getByRole('button', { name: 'Cancel' }).click();
    await row('slow').waitFor();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm().getByRole('button', { name: 'Delete' }).click();
    await notice().filter({ hasText: 'Replication rule slow was deleted.' }).waitFor();
    await row('slow').waitFor({ state: 'detached' });
    await row('to-cncf').waitFor();
  });

  test('keyboard and a narrow window', async () => {
    await pressButton(page, '+ New Replication Rule');
    await dialog().getByRole('heading', { name: 'New Replication Rule' }).waitFor();
    assert.equal(await focusedId(page), 'rule-name');
    await dialog().getByLabel('Pull-based').check();
    await dialog().getByLabel('Source registry').waitFor();
    assert.equal(await dialog().getByLabel('Destination registry').count(), 0);
    await page.setViewportSize({ width: 420, height: 800 });
    await screenshot(page, 'narrow-rule-form');
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
    await row('to-cncf').getByRole('radio').check();
    await screenshot(page, 'narrow-replications');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('no unexpected console errors', () => {
    assertNoUnexpectedErrors(page, kExpectedFailures);
  });
});
