// The "New Registry Endpoint" / "Edit Endpoint" dialog, in Harbor's order: Provider,
// Name, Description, Endpoint URL, Access ID, Access Secret, Verify Remote Cert, then
// Test Connection, Cancel and OK. Its shape follows /replication/adapterinfos.
import { css, html, nothing } from 'lit';

import { call, type AdapterInfos, type Registry } from './api';
import { FormDialog, fieldError, formDialogStyles, requiredMark } from './dialog';
import { credentialHints, formShape, providerName, type FormShape } from './providers';

const kMaxNameLength = 255;

// An absolute http(s) URL with a host, or a bare host[:port] (the server adds https://).
export function validEndpointUrl(text: string): boolean {
  const value = text.trim();
  if (!value || /\s/.test(value)) return false;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

interface TestResult {
  ok: boolean;
  message: string;
}

export class EndpointDialog extends FormDialog {
  static override properties = {
    adapters: { attribute: false },
    infos: { attribute: false },
    editing: { state: true },
    type: { state: true },
    name: { state: true },
    description: { state: true },
    url: { state: true },
    accessId: { state: true },
    accessSecret: { state: true },
    verifyCert: { state: true },
    touched: { state: true },
    testing: { state: true },
    testResult: { state: true },
  };

  declare adapters: string[];
  declare infos: AdapterInfos;
  declare editing: Registry | null;
  declare type: string;
  declare name: string;
  declare description: string;
  declare url: string;
  declare accessId: string;
  declare accessSecret: string;
  declare verifyCert: boolean;
  declare touched: Set<string>;
  declare testing: boolean;
  declare testResult: TestResult | null;

  constructor() {
    super();
    this.adapters = [];
    this.infos = {};
    this.reset(null);
  }

  private reset(editing: Registry | null): void {
    this.editing = editing;
    this.type = editing?.type ?? '';
    this.name = editing?.name ?? '';
    this.description = editing?.description ?? '';
    this.url = editing?.url ?? '';
    this.accessId = editing?.credential?.access_key ?? '';
    this.accessSecret = '';
    this.verifyCert = !(editing?.insecure ?? false);
    this.touched = new Set();
    this.testing = false;
    this.testResult = null;
    this.saving = false;
    this.error = '';
  }

  // Opens the dialog empty (new endpoint) or filled from `registry` (edit).
  async open(registry: Registry | null = null): Promise<void> {
    this.reset(registry);
    await this.show(registry ? '#name' : '#provider');
  }

  private get shape(): FormShape {
    return formShape(this.type ? this.infos[this.type] : undefined);
  }

  private selectProvider(type: string): void {
    const before = this.shape;
    this.type = type;
    const shape = this.shape;
    if (shape.urlMode === 'fixed' || shape.urlMode === 'list') {
      this.url = shape.urls[0].value;
    } else if (before.urlMode !== 'free') {
      this.url = '';
    }
    if (shape.fixedAccessId !== undefined) {
      this.accessId = shape.fixedAccessId;
    } else if (before.fixedAccessId !== undefined) {
      this.accessId = '';
    }
    this.testResult = null;
  }

  private get problems(): Record<string, string> {
    const problems: Record<string, string> = {};
    if (!this.type) problems.provider = 'Choose a provider.';
    const name = this.name.trim();
    if (!name) problems.name = 'Name is required.';
    else if (name.length > kMaxNameLength) problems.name = `Name is longer than ${kMaxNameLength} characters.`;
    if (!this.url.trim()) problems.url = 'Endpoint URL is required.';
    else if (!validEndpointUrl(this.url)) problems.url = 'Enter a URL such as https://registry.example.com.';
    return problems;
  }

  private touch(field: string): void {
    if (!this.touched.has(field)) this.touched = new Set([...this.touched, field]);
  }

  private async testConnection(): Promise<void> {
    this.testing = true;
    this.testResult = null;
    const e = this.editing;
    const body: Record<string, unknown> = {
      type: this.type,
      url: this.url.trim(),
      insecure: !this.verifyCert,
    };
    if (this.accessId) {
      body.access_key = this.accessId;
      body.credential_type = e?.credential?.type ?? 'basic';
    }
    if (this.accessSecret) body.access_secret = this.accessSecret;
    // Editing with the stored URL: test with the stored secret unless a new one is typed.
    if (e && e.url === this.url.trim() && (e.insecure ?? false) === !this.verifyCert) body.id = e.id;
    try {
      await call('POST', '/registries/ping', body);
      this.testResult = { ok: true, message: 'Connection tested successfully.' };
    } catch (err) {
      // The server says "the registry is unhealthy: <why>"; the lead-in says it already.
      const why = (err as Error).message.replace(/^the registry is unhealthy: /, '');
      this.testResult = { ok: false, message: `Failed to ping endpoint: ${why}` };
    } finally {
      this.testing = false;
    }
  }

  protected async save(e: Event): Promise<void> {
    e.preventDefault();
    if (Object.keys(this.problems).length > 0 || this.saving) return;
    await this.submit(this.name.trim(), async () => {
      if (this.editing) {
        const update: Record<string, unknown> = {
          name: this.name.trim(),
          description: this.description,
          url: this.url.trim(),
          access_key: this.accessId,
          insecure: !this.verifyCert,
        };
        if (this.accessSecret) update.access_secret = this.accessSecret;
        await call('PUT', `/registries/${this.editing.id}`, update);
      } else {
        const registry: Record<string, unknown> = {
          name: this.name.trim(),
          type: this.type,
          url: this.url.trim(),
          description: this.description,
          insecure: !this.verifyCert,
        };
        if (this.accessId || this.accessSecret) {
          registry.credential = {
            type: 'basic',
            access_key: this.accessId,
            access_secret: this.accessSecret,
          };
        }
        await call('POST', '/registries', registry);
      }
    });
  }

  private async readSecretFile(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.accessSecret = await file.text();
    this.testResult = null;
    input.value = '';
  }

  private storedSecretNote(): string {
    return this.editing && this.url.trim() !== this.editing.url
      ? ' Changing the URL drops the stored secret: enter it again.'
      : ' The stored secret is not shown; leave it empty to keep it.';
  }

  private fieldError(field: string) {
    return fieldError(`${field}-error`, this.touched.has(field) ? this.problems[field] : undefined);
  }

  // One row of the form's grid: the label of `id`, then the field and its notes.
  private row(id: string, label: string, required: boolean, field: unknown, cell = '') {
    return html`<label for=${id}>${label}${required ? html` ${requiredMark}` : nothing}</label>
      <div class=${cell || nothing}>${field}</div>`;
  }

  private urlField(shape: FormShape) {
    const invalid = this.touched.has('url') && this.problems.url !== undefined;
    if (shape.urlMode === 'list') {
      return html`<select
        id="url"
        .value=${this.url}
        @change=${(e: Event) => ((this.url = (e.target as HTMLSelectElement).value), (this.testResult = null))}
      >
        ${shape.urls.map(
          (u) => html`<option value=${u.value} ?selected=${u.value === this.url}>${u.key} (${u.value})</option>`,
        )}
      </select>`;
    }
    return html`<input
      id="url"
      type="text"
      inputmode="url"
      placeholder="https://registry.example.com"
      ?readonly=${shape.urlMode === 'fixed'}
      aria-invalid=${invalid ? 'true' : 'false'}
      aria-describedby=${invalid ? 'url-error' : nothing}
      .value=${this.url}
      @input=${(e: InputEvent) => ((this.url = (e.target as HTMLInputElement).value), (this.testResult = null))}
      @blur=${() => this.touch('url')}
    />`;
  }

  private secretField(shape: FormShape) {
    const placeholder = this.editing?.credential?.access_secret ? 'Unchanged if left empty' : '';
    if (shape.fileSecret) {
      return html`<div class="stack">
        <textarea
          id="secret"
          spellcheck="false"
          placeholder=${placeholder || 'Paste the key here, or upload a file'}
          aria-describedby="secret-hint"
          .value=${this.accessSecret}
          @input=${(e: InputEvent) => ((this.accessSecret = (e.target as HTMLTextAreaElement).value), (this.testResult = null))}
        ></textarea>
        <label class="file">
          <span>Upload a file…</span>
          <input type="file" accept=".json,application/json,text/plain" @change=${this.readSecretFile} />
        </label>
      </div>`;
    }
    return html`<input
      id="secret"
      type="password"
      autocomplete="new-password"
      placeholder=${placeholder}
      aria-describedby="secret-hint"
      .value=${this.accessSecret}
      @input=${(e: InputEvent) => ((this.accessSecret = (e.target as HTMLInputElement).value), (this.testResult = null))}
    />`;
  }

  override render() {
    const shape = this.shape;
    const hints = credentialHints(this.type);
    const problems = this.problems;
    const valid = Object.keys(problems).length === 0;
    const canTest = this.type !== '' && problems.url === undefined && !this.testing;
    return this.frame({
      titleId: 'dialog-title',
      title: this.editing ? 'Edit Endpoint' : 'New Registry Endpoint',
      okLabel: 'OK',
      valid,
      onClose: () => (this.testing = false),
      body: html`
        <div class="grid">
          ${this.row(
            'provider',
            'Provider',
            true,
            html`<select
              id="provider"
              required
              ?disabled=${this.editing !== null}
              @change=${(e: Event) => this.selectProvider((e.target as HTMLSelectElement).value)}
            >
              <option value="" ?selected=${this.type === ''} disabled>Select a provider</option>
              ${[...this.adapters]
                .sort((a, b) => providerName(a).localeCompare(providerName(b)))
                .map((t) => html`<option value=${t} ?selected=${t === this.type}>${providerName(t)}</option>`)}
            </select>`,
          )}
          ${this.row(
            'name',
            'Name',
            true,
            html`<input
                id="name"
                type="text"
                required
                maxlength=${kMaxNameLength}
                aria-invalid=${this.touched.has('name') && problems.name ? 'true' : 'false'}
                aria-describedby=${this.touched.has('name') && problems.name ? 'name-error' : nothing}
                .value=${this.name}
                @input=${(e: InputEvent) => (this.name = (e.target as HTMLInputElement).value)}
                @blur=${() => this.touch('name')}
              />
              ${this.fieldError('name')}`,
          )}
          ${this.row(
            'description',
            'Description',
            false,
            html`<textarea
              id="description"
              class="plain"
              rows="2"
              .value=${this.description}
              @input=${(e: InputEvent) => (this.description = (e.target as HTMLTextAreaElement).value)}
            ></textarea>`,
          )}
          ${this.row('url', 'Endpoint URL', true, html`${this.urlField(shape)} ${this.fieldError('url')}`)}
          ${this.row(
            'access-id',
            'Access ID',
            false,
            html`<input
                id="access-id"
                type="text"
                autocomplete="off"
                ?readonly=${shape.fixedAccessId !== undefined}
                aria-describedby=${hints.accessId ? 'access-id-hint' : nothing}
                .value=${this.accessId}
                @input=${(e: InputEvent) => ((this.accessId = (e.target as HTMLInputElement).value), (this.testResult = null))}
              />
              ${hints.accessId ? html`<div class="hint" id="access-id-hint">${hints.accessId}</div>` : nothing}`,
          )}
          ${this.row(
            'secret',
            'Access Secret',
            false,
            html`${this.secretField(shape)}
              <div class="hint" id="secret-hint">
                ${hints.accessSecret ?? ''}
                ${this.editing?.credential?.access_secret ? this.storedSecretNote() : ''}
              </div>`,
          )}
          ${this.row(
            'verify',
            'Verify Remote Cert',
            false,
            html`<input
                id="verify"
                type="checkbox"
                .checked=${this.verifyCert}
                @change=${(e: Event) => ((this.verifyCert = (e.target as HTMLInputElement).checked), (this.testResult = null))}
              />
              <span class="hint">Uncheck to accept a self-signed or otherwise untrusted certificate.</span>`,
            'check',
          )}
        </div>

        <div class="test-result" aria-live="polite">
          ${this.testing ? html`<div class="alert info">Testing the connection…</div>` : nothing}
          ${this.testResult
            ? html`<div class="alert ${this.testResult.ok ? 'success' : 'error'}" data-testid="test-result">
                ${this.testResult.message}
              </div>`
            : nothing}
        </div>
      `,
      lead: html`<button type="button" ?disabled=${!canTest} @click=${this.testConnection}>Test Connection</button>
        <span class="spacer"></span>`,
    });
  }

  static override styles = [
    ...formDialogStyles,
    css`
      dialog {
        width: min(44rem, calc(100vw - 1.5rem));
        max-height: calc(100vh - 2rem);
      }
      h2 {
        margin: 0 0 1rem;
      }
      .grid {
        display: grid;
        grid-template-columns: 10rem 1fr;
        gap: 0.75rem 1rem;
        align-items: start;
      }
      .grid > label {
        font-size: 0.85rem;
        font-weight: 600;
        padding-top: 0.4rem;
      }
      textarea.plain {
        font-family: inherit;
        font-size: 0.9rem;
        min-height: 2.5rem;
      }
      .hint {
        margin-top: 0.25rem;
        overflow-wrap: anywhere;
      }
      .field-error {
        margin-top: 0.25rem;
      }
      .check {
        font-size: inherit;
        padding-top: 0.4rem;
      }
      .check .hint {
        margin: 0;
      }
      .stack {
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
      }
      .file {
        font-size: 0.8rem;
        color: var(--berth-blue);
        cursor: pointer;
        display: inline-flex;
        gap: 0.5rem;
        align-items: center;
      }
      .file input {
        font-size: 0.75rem;
      }
      .test-result {
        margin-top: 1rem;
      }
      .test-result .alert {
        margin: 0;
      }
      .buttons {
        justify-content: normal;
        flex-wrap: wrap;
      }
      .spacer {
        flex: 1;
      }
      @media (max-width: 560px) {
        .grid {
          grid-template-columns: 1fr;
          gap: 0.25rem;
        }
        .grid > label {
          padding-top: 0.6rem;
        }
      }
    `,
  ];
}

customElements.define('berth-endpoint-dialog', EndpointDialog);
