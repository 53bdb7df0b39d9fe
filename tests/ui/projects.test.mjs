// Projects in a real browser: the list, New Project, and a proxy-cache project whose
// endpoint picker offers only the providers allowed to back a proxy cache. A second
// Berth plays the upstream Harbor; the CNCF registry is an endpoint that must not be
// offered (docker-registry is not a proxy-cache provider).
import assert from 'node:assert/strict';
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

  test('sign in lands on Projects, which lists library', async () => {
    await page.goto(`${berth.url}/`);
    await page.waitForURL(/\/account\/sign-in$/);
    await signIn(page);
    await page.waitForURL(/\/harbor\/projects$/);
    await row('library').waitFor();
    assert.equal((await row('library').locator('td').nth(1).textContent()).trim(), 'Public');
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
    const cells = row('team-a').locator('td');
    assert.equal((await cells.nth(1).textContent()).trim(), 'Private');
    assert.equal((await cells.nth(2).textContent()).trim(), 'Project');
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
    const cells = row('hub-cache').locator('td');
    assert.equal((await cells.nth(1).textContent()).trim(), 'Public');
    assert.equal((await cells.nth(2).textContent()).trim(), 'Proxy Cache');
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

  test('no unexpected console errors', () => {
    assertNoUnexpectedErrors(page, /Failed to load resource: the server responded with a status of 409/);
  });
});
