// Projects in a real browser: the list, New Project, and a proxy-cache project whose
// endpoint picker offers only the providers allowed to back a proxy cache. A second
// Berth plays the upstream Harbor; the CNCF registry is an endpoint that must not be
// offered (docker-registry is not a proxy-cache provider).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  ADMIN_PASSWORD,
  ADMIN_USER,
  assertNoUnexpectedErrors,
  openSession,
  screenshots,
  signIn,
  startBerth,
  startCncfRegistry,
} from './harness.mjs';

const screenshot = screenshots('projects');

describe('projects', () => {
  let session;
  let berth;
  let upstream;
  let cncf;
  let page;

  before(async () => {
    session = await openSession('projects', (dir) => [
      startBerth(`${dir}/berth`),
      startBerth(`${dir}/upstream`),
      startCncfRegistry(`${dir}/cncf`),
    ]);
    [berth, upstream, cncf] = session.servers;
    ({ page } = session);
    await berth.api('POST', '/registries', {
      name: 'upstream-harbor',
      type: 'harbor',
      url: upstream.url,
      credential: { type: 'basic', access_key: ADMIN_USER, access_secret: ADMIN_PASSWORD },
    });
    await berth.api('POST', '/registries', { name: 'plain-cncf', type: 'docker-registry', url: cncf.url });
  });

  after(() => session?.close());

  const dialog = () => page.locator('berth-project-dialog dialog');
  const row = (name) => page.locator(`tr[data-name="${name}"]`);
  // The i-th data cell of a project's row (after its selection radio; 0 is the name).
  const cell = (name, i) => row(name).locator('td').nth(i + 1);

  test('sign in lands on Projects, which lists library', async () => {
    await page.goto(`${berth.url}/`);
    await page.waitForURL(/\/account\/sign-in$/);
    await signIn(page);
    await page.waitForURL(/\/harbor\/projects$/);
    await row('library').waitFor();
    assert.equal((await cell('library', 1).textContent()).trim(), 'Public');
  });

  test('a plain private project', async () => {
    await page.getByRole('button', { name: '+ New Project' }).click();
    const ok = dialog().getByRole('button', { name: 'OK' });
    assert.equal(await ok.isDisabled(), true);
    await dialog().getByLabel('Project Name').fill('Bad Name');
    await dialog().getByLabel('Project Name').blur();
    await dialog().getByText('Use lower-case letters').waitFor();
    assert.equal(await ok.isDisabled(), true);
    await dialog().getByLabel('Project Name').fill('team-a');
    await ok.click();
    await dialog().waitFor({ state: 'hidden' });
    await row('team-a').waitFor();
    assert.equal((await cell('team-a', 1).textContent()).trim(), 'Private');
    assert.equal((await cell('team-a', 2).textContent()).trim(), 'Project');
  });

  test('a proxy-cache project: only allowed providers are offered', async () => {
    await page.getByRole('button', { name: '+ New Project' }).click();
    await dialog().getByLabel('Project Name').fill('hub-cache');
    await dialog().getByLabel('Public').check();
    await dialog().getByRole('switch', { name: 'Proxy Cache' }).check();
    const ok = dialog().getByRole('button', { name: 'OK' });
    assert.equal(await ok.isDisabled(), true, 'OK waits for an endpoint');
    const picker = dialog().getByLabel('Endpoint');
    const options = await picker.locator('option:not([disabled])').allTextContents();
    assert.equal(options.length, 1, `offered: ${options.join(' | ')}`);
    assert.match(options[0], /upstream-harbor/);
    assert.doesNotMatch(options.join(' '), /plain-cncf/);
    await picker.selectOption({ index: 1 });
    await screenshot(page, 'new-proxy-cache-project');
    await ok.click();
    await dialog().waitFor({ state: 'hidden' });
    await row('hub-cache').waitFor();
    assert.equal((await cell('hub-cache', 1).textContent()).trim(), 'Public');
    assert.equal((await cell('hub-cache', 2).textContent()).trim(), 'Proxy Cache');
    await screenshot(page, 'projects');

    const project = await berth.api('GET', '/projects/hub-cache');
    const [endpoint] = (await berth.api('GET', '/registries')).filter((r) => r.name === 'upstream-harbor');
    assert.equal(project.registry_id, endpoint.id);
  });

  test('a refused create shows the server’s reason', async () => {
    await page.getByRole('button', { name: '+ New Project' }).click();
    await dialog().getByLabel('Project Name').fill('team-a');
    await dialog().getByRole('button', { name: 'OK' }).click();
    await dialog().getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'hidden' });
  });

  test('delete: refused while the project holds repositories; a proxy cache frees its endpoint', async () => {
    const bytes = Buffer.from('a blob makes a repository');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const push = await fetch(`${berth.url}/v2/team-a/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { Authorization: berth.auth, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    assert.equal(push.status, 201, await push.text());
    await page.getByRole('button', { name: 'Refresh' }).click();
    const remove = page.getByRole('button', { name: 'Delete' });
    assert.equal(await remove.isDisabled(), true, 'nothing selected yet');

    await row('team-a').getByRole('radio').check();
    await remove.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('notice').filter({ hasText: 'Project team-a cannot be deleted' }).waitFor();
    assert.match(await page.getByTestId('notice').textContent(), /repositories/);
    await row('team-a').waitFor();

    await row('hub-cache').getByRole('radio').check();
    await remove.click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('notice').filter({ hasText: 'Project hub-cache was deleted.' }).waitFor();
    await row('hub-cache').waitFor({ state: 'detached' });
    await screenshot(page, 'project-deleted');
    const [endpoint] = (await berth.api('GET', '/registries')).filter((r) => r.name === 'upstream-harbor');
    await berth.api('DELETE', `/registries/${endpoint.id}`);
  });

  test('a session that ends (the password changed elsewhere) says so on the sign-in page', async () => {
    const me = await berth.api('GET', '/users/current');
    await berth.api('PUT', `/users/${me.user_id}/password`, { old_password: ADMIN_PASSWORD, new_password: 'Changed-Pass-678' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForURL(/\/account\/sign-in/);
    const notice = page.getByTestId('sign-in-notice');
    await notice.waitFor();
    assert.match(await notice.textContent(), /session has ended/);
    await signIn(page, 'Changed-Pass-678');
    await page.waitForURL(/\/harbor\/projects$/);
    await row('library').waitFor();
    // Log Out is not an ended session: no notice.
    await page.getByRole('button', { name: 'Log Out' }).click();
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.getByTestId('sign-in-notice').count(), 0);
  });

  test('no unexpected console errors', () => {
    assertNoUnexpectedErrors(page, /Failed to load resource: the server responded with a status of (401|409|412)/);
  });
});
