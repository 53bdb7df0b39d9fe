// Administration → Registries in a real browser, the workflow of Harbor's docs: sign in,
// + New Endpoint, pick the provider, fill the form, Test Connection (failure, then
// success), OK, see it in the list, edit it, and delete it (refused while a replication
// rule uses it). Against a real `berth serve` and a real docker-registry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  ADMIN_USER,
  assertNoUnexpectedErrors,
  focusedId,
  freePort,
  openSession,
  pressButton,
  screenshots,
  signIn,
  startBerth,
  startCncfRegistry,
} from './harness.mjs';

// Chromium reports every non-2xx fetch on the console; these are the refusals the tests
// provoke on purpose (wrong password, failed ping, refused delete).
const kExpectedFailures = /Failed to load resource: the server responded with a status of (400|401|412)/;

const screenshot = screenshots('registries');

describe('registries', () => {
  let session;
  let cncf;
  let berth;
  let page;
  let closedPortUrl;

  before(async () => {
    session = await openSession('registries', (dir) => [startCncfRegistry(`${dir}/cncf`), startBerth(`${dir}/berth`)]);
    [cncf, berth] = session.servers;
    ({ page } = session);
    closedPortUrl = `http://127.0.0.1:${await freePort()}`;
  });

  after(() => session?.close());

  const dialog = () => page.locator('berth-endpoint-dialog dialog');
  const row = (name) => page.locator(`tr[data-name="${name}"]`);
  const notice = () => page.getByTestId('notice');

  test('sign-in: a wrong password is refused, the right one opens the page asked for', async () => {
    await page.goto(`${berth.url}/harbor/registries`);
    await page.waitForURL(/\/account\/sign-in\?redirect_url=%2Fharbor%2Fregistries$/);
    const refusal = page.waitForResponse((r) => r.url().endsWith('/api/v2.0/users/current'));
    await signIn(page, 'not-the-password');
    // No Basic challenge, so a browser shows no password prompt of its own.
    const refused = await refusal;
    assert.equal(refused.status(), 401);
    assert.equal(refused.headers()['www-authenticate'], undefined);
    await page.getByRole('alert').filter({ hasText: 'Invalid user name or password.' }).waitFor();
    await screenshot(page, 'sign-in-refused');

    await signIn(page);
    await page.waitForURL(/\/harbor\/registries$/);
    await page.getByRole('heading', { name: 'Registries' }).waitFor();
    assert.equal(await page.getByTestId('current-user').textContent(), ADMIN_USER);
    await page.getByText('We couldn’t find any endpoints!').waitFor();
    // The navigation is Harbor's: Projects, and Administration → Registries, Replications.
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Projects', 'Registries', 'Replications']) {
      await nav.getByRole('link', { name }).waitFor();
    }
    await screenshot(page, 'registries-empty');
  });

  test('new endpoint: Test Connection shows the failure, then the success; OK adds it', async () => {
    await page.getByRole('button', { name: '+ New Endpoint' }).click();
    await dialog().getByRole('heading', { name: 'New Registry Endpoint' }).waitFor();
    const ok = dialog().getByRole('button', { name: 'OK' });
    const testButton = dialog().getByRole('button', { name: 'Test Connection' });
    assert.equal(await ok.isDisabled(), true, 'OK is disabled on an empty form');

    await dialog().getByLabel('Provider').selectOption('docker-registry');
    await dialog().getByLabel('Name').fill('local-cncf');
    await dialog().getByLabel('Description').fill('the CNCF registry next door');
    assert.equal(await ok.isDisabled(), true, 'OK is disabled without an endpoint URL');
    await dialog().getByLabel('Endpoint URL').fill('not a url');
    await dialog().getByLabel('Endpoint URL').blur();
    await dialog().getByText('Enter a URL such as https://registry.example.com.').waitFor();
    assert.equal(await ok.isDisabled(), true, 'OK is disabled with an invalid URL');

    await dialog().getByLabel('Endpoint URL').fill(closedPortUrl);
    await testButton.click();
    const result = dialog().getByTestId('test-result');
    await result.filter({ hasText: 'Failed to ping endpoint' }).waitFor();
    // The server's own reason, in plain words.
    assert.match(await result.textContent(), /refused/);
    await screenshot(page, 'test-connection-failed');

    await dialog().getByLabel('Endpoint URL').fill(cncf.url);
    await testButton.click();
    await result.filter({ hasText: 'Connection tested successfully.' }).waitFor();
    await screenshot(page, 'test-connection-succeeded');
    // A changed credential makes the old result stale: it goes.
    await dialog().getByLabel('Access ID').fill('someone');
    await result.waitFor({ state: 'detached' });
    await dialog().getByLabel('Access ID').fill('');
    await testButton.click();
    await result.filter({ hasText: 'Connection tested successfully.' }).waitFor();

    assert.equal(await ok.isDisabled(), false);
    await ok.click();
    await dialog().waitFor({ state: 'hidden' });
    await notice().filter({ hasText: 'Endpoint local-cncf was saved.' }).waitFor();
    const cells = row('local-cncf').locator('td');
    await row('local-cncf').waitFor();
    assert.equal((await cells.nth(1).textContent()).trim(), 'local-cncf');
    assert.match(await cells.nth(2).textContent(), /Healthy/);
    assert.equal((await cells.nth(3).textContent()).trim(), cncf.url);
    assert.equal((await cells.nth(4).textContent()).trim(), 'Docker Registry');
    assert.equal((await cells.nth(5).textContent()).trim(), 'True');
    assert.equal((await cells.nth(6).textContent()).trim(), 'the CNCF registry next door');
    assert.notEqual((await cells.nth(7).textContent()).trim(), '');
    await screenshot(page, 'endpoint-created');

    const stored = await berth.api('GET', '/registries');
    assert.equal(stored.length, 1);
    assert.equal(stored[0].type, 'docker-registry');
    assert.equal(stored[0].insecure, undefined);
  });

  test('the form follows /replication/adapterinfos', async () => {
    await page.getByRole('button', { name: '+ New Endpoint' }).click();
    const url = dialog().getByLabel('Endpoint URL');
    const accessId = dialog().getByLabel('Access ID');

    // A fixed URL is pre-filled and locked.
    await dialog().getByLabel('Provider').selectOption('docker-hub');
    assert.equal(await url.inputValue(), 'https://hub.docker.com');
    assert.equal(await url.getAttribute('readonly'), '');

    // A list of URLs is a drop-down.
    await dialog().getByLabel('Provider').selectOption('aws-ecr');
    assert.equal(await url.evaluate((e) => e.tagName), 'SELECT');
    assert.match(await url.inputValue(), /^https:\/\/api\.ecr\.[a-z0-9-]+\.amazonaws\.com$/);
    await dialog().getByText('The access key ID of an IAM user').waitFor();

    // A fixed Access ID is locked; a file secret is a text area that takes an upload.
    await dialog().getByLabel('Provider').selectOption('google-gcr');
    assert.equal(await accessId.inputValue(), '_json_key');
    assert.equal(await accessId.getAttribute('readonly'), '');
    const secret = dialog().getByLabel('Access Secret');
    assert.equal(await secret.evaluate((e) => e.tagName), 'TEXTAREA');
    await dialog().getByText('The JSON key of a service account').waitFor();
    await dialog()
      .locator('input[type=file]')
      .setInputFiles({ name: 'key.json', mimeType: 'application/json', buffer: Buffer.from('{"type":"service_account"}') });
    await page.waitForFunction(
      () =>
        document
          .querySelector('berth-app')
          ?.shadowRoot?.querySelector('berth-registries-page')
          ?.shadowRoot?.querySelector('berth-endpoint-dialog')
          ?.shadowRoot?.querySelector('textarea#secret')?.value === '{"type":"service_account"}',
    );

    await dialog().getByLabel('Provider').selectOption('quay');
    assert.equal(await accessId.inputValue(), 'json_file');
    await dialog().getByText('docker_cli_password').waitFor();
    await screenshot(page, 'form-quay');

    // Back to a standard provider: the URL and Access ID are free again.
    await dialog().getByLabel('Provider').selectOption('harbor');
    assert.equal(await url.inputValue(), '');
    assert.equal(await accessId.inputValue(), '');
    assert.equal(await accessId.getAttribute('readonly'), null);

    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'hidden' });
  });

  test('edit: the form is filled, the secret is not shown, an empty secret is kept', async () => {
    // Give the endpoint a stored credential through the API first.
    const [stored] = await berth.api('GET', '/registries');
    await berth.api('PUT', `/registries/${stored.id}`, { access_key: 'robot', access_secret: 's3cret' });

    await page.getByRole('button', { name: 'Refresh' }).click();
    await row('local-cncf').getByRole('radio').check();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await dialog().getByRole('heading', { name: 'Edit Endpoint' }).waitFor();
    assert.equal(await dialog().getByLabel('Name').inputValue(), 'local-cncf');
    assert.equal(await dialog().getByLabel('Endpoint URL').inputValue(), cncf.url);
    assert.equal(await dialog().getByLabel('Access ID').inputValue(), 'robot');
    assert.equal(await dialog().getByLabel('Access Secret').inputValue(), '');
    assert.equal(await dialog().getByLabel('Access Secret').getAttribute('placeholder'), 'Unchanged if left empty');
    assert.equal(await dialog().getByLabel('Provider').isDisabled(), true);

    await dialog().getByLabel('Description').fill('edited in the browser');
    await dialog().getByLabel('Verify Remote Cert').uncheck();
    await screenshot(page, 'edit-endpoint');
    await dialog().getByRole('button', { name: 'OK' }).click();
    await dialog().waitFor({ state: 'hidden' });
    await row('local-cncf').locator('td.description', { hasText: 'edited in the browser' }).waitFor();
    assert.equal((await row('local-cncf').locator('td').nth(5).textContent()).trim(), 'False');

    const after = await berth.api('GET', `/registries/${stored.id}`);
    assert.equal(after.description, 'edited in the browser');
    assert.equal(after.insecure, true);
    assert.equal(after.credential.access_key, 'robot');
    assert.equal(after.credential.access_secret, '*****', 'the stored secret is kept');
  });

  test('delete: refused while a replication rule uses the endpoint, then done', async () => {
    const [stored] = await berth.api('GET', '/registries');
    await berth.api('POST', '/replication/policies', {
      name: 'pull-from-cncf',
      src_registry: { id: stored.id },
      dest_namespace: 'library',
      trigger: { type: 'manual' },
      enabled: true,
    });

    await row('local-cncf').getByRole('radio').check();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.locator('berth-confirm-dialog dialog');
    await confirm.getByText('Do you want to delete endpoint local-cncf?').waitFor();
    await screenshot(page, 'delete-confirm');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await notice().filter({ hasText: 'Endpoint local-cncf cannot be deleted' }).waitFor();
    // The server's reason names the rule that holds the endpoint.
    assert.match(await notice().textContent(), /pull-from-cncf/);
    await row('local-cncf').waitFor();
    await screenshot(page, 'delete-refused');

    // Cancelling the confirmation deletes nothing.
    await row('local-cncf').getByRole('radio').check();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await berth.api('GET', '/registries')).length, 1);

    const [policy] = await berth.api('GET', '/replication/policies');
    await berth.api('DELETE', `/replication/policies/${policy.id}`);
    await row('local-cncf').getByRole('radio').check();
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await notice().filter({ hasText: 'Endpoint local-cncf was deleted.' }).waitFor();
    await row('local-cncf').waitFor({ state: 'detached' });
    assert.equal((await berth.api('GET', '/registries')).length, 0);
    // The Delete button went disabled with its endpoint: the focus is on the notice, not lost.
    const onNotice = await page.evaluate(() => {
      let element = document.activeElement;
      while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
      return element?.hasAttribute('data-notice') ?? false;
    });
    assert.equal(onNotice, true, 'focus on the notice after the delete');
  });

  test('the list filters by name and pages', async () => {
    for (const name of ['alpha-one', 'alpha-two', 'beta']) {
      await berth.api('POST', '/registries', { name, type: 'docker-registry', url: cncf.url });
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await row('beta').waitFor();
    assert.equal(await page.getByTestId('item-count').textContent(), '1 - 3 of 3 items');

    await page.getByLabel('Filter endpoints by name').fill('alpha');
    await row('beta').waitFor({ state: 'detached' });
    await row('alpha-one').waitFor();
    await row('alpha-two').waitFor();
    assert.equal(await page.getByTestId('item-count').textContent(), '1 - 2 of 2 items');
    await screenshot(page, 'filtered');
    // A comma is just a character of the name, not a query separator.
    await page.getByLabel('Filter endpoints by name').fill('a,b');
    await page.getByText('We couldn\u2019t find any endpoints!').waitFor();
    assert.equal(await notice().filter({ hasText: 'Cannot list' }).count(), 0, 'no error for a comma');
    await page.getByLabel('Filter endpoints by name').fill('');
    await row('beta').waitFor();
  });

  test('keyboard: the dialog opens from the keyboard, starts on Provider and closes with Escape', async () => {
    await pressButton(page, '+ New Endpoint');
    await dialog().getByRole('heading', { name: 'New Registry Endpoint' }).waitFor();
    assert.equal(await focusedId(page), 'provider');
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'hidden' });
  });

  test('narrow window: the navigation folds behind a menu button', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Navigation' }).click();
    await nav.getByRole('link', { name: 'Replications' }).click();
    await page.waitForURL(/\/harbor\/replications$/);
    await page.getByRole('heading', { name: 'Replications' }).waitFor();
    assert.equal(await page.title(), 'Replications - Berth', 'the tab names the page');
    await screenshot(page, 'narrow-replications');
    // Escape closes the drawer.
    await page.getByRole('button', { name: 'Navigation' }).click();
    await nav.waitFor();
    await page.keyboard.press('Escape');
    await nav.waitFor({ state: 'hidden' });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  test('log out returns to sign-in; a deep link survives a reload', async () => {
    await page.goto(`${berth.url}/harbor/registries`);
    await row('beta').waitFor();
    await page.getByRole('button', { name: 'Log Out' }).click();
    await page.waitForURL(/\/account\/sign-in$/);
    await page.goto(`${berth.url}/harbor/registries`);
    await page.waitForURL(/\/account\/sign-in\?redirect_url=/);
  });

  test('no unexpected console errors', () => {
    assertNoUnexpectedErrors(page, kExpectedFailures);
  });
});
