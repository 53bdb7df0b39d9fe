// The "New Project" dialog, as in Harbor: Project Name, Access Level (Public), and the
// Proxy Cache switch with its endpoint picker. The picker offers only the endpoints
// whose provider may back a proxy cache (systeminfo's proxy_cache_providers).
import { LitElement, css, html, nothing } from 'lit';

import { ApiError, call, query, type Registry } from './api';
import { providerName } from './providers';
import { shared } from './styles';

// Harbor's rule for project names.
const kProjectName = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const kMaxProjectName = 255;

interface SystemInfo {
  proxy_cache_providers?: string[];
}

export class ProjectDialog extends LitElement {
  static override properties = {
    name: { state: true },
    isPublic: { state: true },
    proxyCache: { state: true },
    registryId: { state: true },
    endpoints: { state: true },
    endpointsError: { state: true },
    allowed: { state: true },
    touched: { state: true },
    saving: { state: true },
    error: { state: true },
  };

  declare name: string;
  declare isPublic: boolean;
  declare proxyCache: boolean;
  declare registryId: number | null;
  declare endpoints: Registry[] | null; // null: not loaded (yet, or not allowed to)
  declare endpointsError: string;
  declare allowed: string[];
  declare touched: boolean;
  declare saving: boolean;
  declare error: string;

  constructor() {
    super();
    this.reset();
  }

  private reset(): void {
    this.name = '';
    this.isPublic = false;
    this.proxyCache = false;
    this.registryId = null;
    this.endpoints = null;
    this.endpointsError = '';
    this.allowed = [];
    this.touched = false;
    this.saving = false;
    this.error = '';
  }

  async open(): Promise<void> {
    this.reset();
    await this.updateComplete;
    (this.renderRoot.querySelector('dialog') as HTMLDialogElement).showModal();
    this.renderRoot.querySelector<HTMLInputElement>('#project-name')?.focus();
    await this.loadEndpoints();
  }

  close(): void {
    (this.renderRoot.querySelector('dialog') as HTMLDialogElement | null)?.close();
  }

  private async loadEndpoints(): Promise<void> {
    try {
      const [info, registries] = await Promise.all([
        call<SystemInfo>('GET', '/systeminfo'),
        call<Registry[]>('GET', '/registries' + query({ page: 1, page_size: 100 })),
      ]);
      this.allowed = info.data?.proxy_cache_providers ?? [];
      this.endpoints = registries.data ?? [];
    } catch (err) {
      // Only system administrators see endpoints (and may make proxy-cache projects).
      this.endpoints = null;
      this.endpointsError =
        err instanceof ApiError && (err.status === 403 || err.status === 401)
          ? 'Only system administrators can create proxy-cache projects.'
          : `Cannot list the endpoints: ${(err as Error).message}`;
    }
  }

  private get candidates(): Registry[] {
    return (this.endpoints ?? []).filter((r) => r.type !== undefined && this.allowed.includes(r.type));
  }

  private get nameProblem(): string {
    const name = this.name.trim();
    if (!name) return 'Project name is required.';
    if (name.length > kMaxProjectName) return `Project name is longer than ${kMaxProjectName} characters.`;
    if (!kProjectName.test(name)) {
      return 'Use lower-case letters, digits and . _ - (not at the start or end, not two in a row).';
    }
    return '';
  }

  private get valid(): boolean {
    return !this.nameProblem && (!this.proxyCache || this.registryId !== null);
  }

  private async save(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.valid || this.saving) return;
    this.saving = true;
    this.error = '';
    const name = this.name.trim();
    const body: Record<string, unknown> = {
      project_name: name,
      metadata: { public: this.isPublic ? 'true' : 'false' },
    };
    if (this.proxyCache && this.registryId !== null) body.registry_id = this.registryId;
    try {
      await call('POST', '/projects', body);
      this.close();
      this.dispatchEvent(new CustomEvent('saved', { detail: { name }, bubbles: true, composed: true }));
    } catch (err) {
      this.error = err instanceof ApiError ? err.message : String(err);
    } finally {
      this.saving = false;
    }
  }

  private proxyCacheFields() {
    if (this.endpoints === null) {
      return this.endpointsError ? html`<div class="hint">${this.endpointsError}</div>` : nothing;
    }
    const candidates = this.candidates;
    return html`
      <label class="switch">
        <input
          id="proxy-cache"
          type="checkbox"
          role="switch"
          .checked=${this.proxyCache}
          @change=${(e: Event) => {
            this.proxyCache = (e.target as HTMLInputElement).checked;
            if (!this.proxyCache) this.registryId = null;
          }}
        />
        <span>Proxy Cache</span>
      </label>
      <div class="hint" id="proxy-cache-hint">
        Pulls through this project are served from the endpoint below and cached here. Endpoints of these
        providers can back a proxy cache: ${this.allowed.map(providerName).join(', ') || 'none'}.
      </div>
      ${this.proxyCache
        ? html`<label for="endpoint" class="field-label">Endpoint <span class="req" aria-hidden="true">*</span></label>
            ${candidates.length === 0
              ? html`<div class="hint" role="status">
                  No endpoint of those providers exists yet: add one under Administration → Registries.
                </div>`
              : html`<select
                  id="endpoint"
                  required
                  @change=${(e: Event) => {
                    const value = (e.target as HTMLSelectElement).value;
                    this.registryId = value ? Number(value) : null;
                  }}
                >
                  <option value="" ?selected=${this.registryId === null} disabled>Select an endpoint</option>
                  ${candidates.map(
                    (r) =>
                      html`<option value=${r.id} ?selected=${r.id === this.registryId}>
                        ${r.name}-${r.url} (${providerName(r.type)})
                      </option>`,
                  )}
                </select>`}`
        : nothing}
    `;
  }

  override render() {
    const nameProblem = this.touched ? this.nameProblem : '';
    return html`
      <dialog aria-labelledby="project-dialog-title">
        <form @submit=${this.save} novalidate>
          <h2 id="project-dialog-title">New Project</h2>
          ${this.error ? html`<div class="alert error" role="alert">${this.error}</div>` : nothing}
          <label for="project-name" class="field-label">
            Project Name <span class="req" aria-hidden="true">*</span>
          </label>
          <input
            id="project-name"
            type="text"
            required
            autocomplete="off"
            maxlength=${kMaxProjectName}
            aria-invalid=${nameProblem ? 'true' : 'false'}
            aria-describedby=${nameProblem ? 'project-name-error' : nothing}
            .value=${this.name}
            @input=${(e: InputEvent) => (this.name = (e.target as HTMLInputElement).value)}
            @blur=${() => (this.touched = true)}
          />
          ${nameProblem ? html`<div class="field-error" id="project-name-error" role="alert">${nameProblem}</div>` : nothing}

          <span class="field-label" id="access-level">Access Level</span>
          <label class="check" aria-describedby="access-level">
            <input
              id="public"
              type="checkbox"
              .checked=${this.isPublic}
              @change=${(e: Event) => (this.isPublic = (e.target as HTMLInputElement).checked)}
            />
            Public
          </label>
          <div class="hint">Anyone may pull from a public project, without signing in.</div>

          <div class="proxy">${this.proxyCacheFields()}</div>

          <div class="buttons">
            <button type="button" @click=${() => this.close()}>Cancel</button>
            <button type="submit" class="primary" ?disabled=${!this.valid || this.saving}>OK</button>
          </div>
        </form>
      </dialog>
    `;
  }

  static override styles = [
    shared,
    css`
      dialog {
        border: none;
        border-radius: 4px;
        padding: 0;
        width: min(34rem, calc(100vw - 1.5rem));
        box-shadow: 0 10px 40px rgba(0, 0, 0, 0.35);
      }
      dialog::backdrop {
        background: rgba(0, 0, 0, 0.45);
      }
      form {
        padding: 1.25rem 1.5rem;
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      h2 {
        font-size: 1.3rem;
        font-weight: 400;
        margin: 0 0 0.75rem;
      }
      .field-label {
        font-size: 0.85rem;
        font-weight: 600;
        margin-top: 0.6rem;
      }
      .req {
        color: var(--berth-danger);
      }
      .check,
      .switch {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        font-size: 0.9rem;
      }
      .switch {
        font-weight: 600;
        font-size: 0.85rem;
      }
      .proxy {
        margin-top: 0.75rem;
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      .hint {
        font-size: 0.75rem;
        color: var(--berth-muted);
      }
      .field-error {
        font-size: 0.75rem;
        color: var(--berth-danger);
      }
      input[aria-invalid='true'] {
        border-color: var(--berth-danger);
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 0.5rem;
        margin-top: 1.25rem;
      }
    `,
  ];
}

customElements.define('berth-project-dialog', ProjectDialog);
