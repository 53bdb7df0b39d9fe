// The "New Project" dialog, as in Harbor: Project Name, Access Level (Public), and the
// Proxy Cache switch with its endpoint picker. The picker offers only the endpoints
// whose provider may back a proxy cache (systeminfo's proxy_cache_providers).
import { css, html, nothing } from 'lit';

import { ApiError, call, query, type Registry } from './api';
import { FormDialog, fieldError, formDialogStyles, requiredMark } from './dialog';
import { providerName } from './providers';

// Harbor's rule for project names.
const kProjectName = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const kMaxProjectName = 255;

interface SystemInfo {
  proxy_cache_providers?: string[];
}

export class ProjectDialog extends FormDialog {
  static override properties = {
    name: { state: true },
    isPublic: { state: true },
    proxyCache: { state: true },
    registryId: { state: true },
    endpoints: { state: true },
    endpointsError: { state: true },
    allowed: { state: true },
    touched: { state: true },
  };

  declare name: string;
  declare isPublic: boolean;
  declare proxyCache: boolean;
  declare registryId: number | null;
  declare endpoints: Registry[] | null; // null: not loaded (yet, or not allowed to)
  declare endpointsError: string;
  declare allowed: string[];
  declare touched: boolean;

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
    await this.show('#project-name');
    await this.loadEndpoints();
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

  protected async save(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.valid || this.saving) return;
    const name = this.name.trim();
    const body: Record<string, unknown> = {
      project_name: name,
      metadata: { public: this.isPublic ? 'true' : 'false' },
    };
    if (this.proxyCache && this.registryId !== null) body.registry_id = this.registryId;
    await this.submit(name, () => call('POST', '/projects', body));
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
        ? html`<label for="endpoint" class="field-label">Endpoint ${requiredMark}</label>
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
    return this.frame({
      titleId: 'project-dialog-title',
      title: 'New Project',
      okLabel: 'OK',
      valid: this.valid,
      body: html`
        <label for="project-name" class="field-label">Project Name ${requiredMark}</label>
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
        ${fieldError('project-name-error', nameProblem)}

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
      `,
    });
  }

  static override styles = [
    ...formDialogStyles,
    css`
      dialog {
        width: min(34rem, calc(100vw - 1.5rem));
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      .switch {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        font-weight: 600;
        font-size: 0.85rem;
      }
      .proxy {
        margin-top: 0.75rem;
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
    `,
  ];
}

customElements.define('berth-project-dialog', ProjectDialog);
