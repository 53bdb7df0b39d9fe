// Administration → Registries: the replication endpoints, paged, filtered by name, with
// New Endpoint, Edit and Delete.
import { LitElement, css, html, nothing } from 'lit';

import { ApiError, call, query, type AdapterInfos, type Registry } from './api';
import type { ConfirmDialog } from './confirm-dialog';
import './confirm-dialog';
import type { EndpointDialog } from './endpoint-dialog';
import './endpoint-dialog';
import { formatTime } from './format';
import { kPageSizes, pager } from './pager';
import { providerName } from './providers';
import { shared } from './styles';

interface Notice {
  kind: 'success' | 'error';
  text: string;
}

export class RegistriesPage extends LitElement {
  static override properties = {
    items: { state: true },
    total: { state: true },
    page: { state: true },
    pageSize: { state: true },
    filter: { state: true },
    selectedId: { state: true },
    loading: { state: true },
    notice: { state: true },
    adapters: { state: true },
    infos: { state: true },
  };

  declare items: Registry[];
  declare total: number;
  declare page: number;
  declare pageSize: number;
  declare filter: string;
  declare selectedId: number | null;
  declare loading: boolean;
  declare notice: Notice | null;
  declare adapters: string[];
  declare infos: AdapterInfos;
  private filterTimer = 0;
  private loadSeq = 0;

  constructor() {
    super();
    this.items = [];
    this.total = 0;
    this.page = 1;
    this.pageSize = kPageSizes[0];
    this.filter = '';
    this.selectedId = null;
    this.loading = false;
    this.notice = null;
    this.adapters = [];
    this.infos = {};
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    void this.loadProviders();
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.filterTimer);
    super.disconnectedCallback();
  }

  private async loadProviders(): Promise<void> {
    try {
      const [adapters, infos] = await Promise.all([
        call<string[]>('GET', '/replication/adapters'),
        call<AdapterInfos>('GET', '/replication/adapterinfos'),
      ]);
      this.adapters = adapters.data ?? [];
      this.infos = infos.data ?? {};
    } catch (err) {
      this.notice = { kind: 'error', text: `Cannot load the providers: ${(err as Error).message}` };
    }
  }

  private async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.loading = true;
    const name = this.filter.trim();
    try {
      const response = await call<Registry[]>(
        'GET',
        '/registries' +
          query({ page: this.page, page_size: this.pageSize, q: name ? `name=~${name}` : undefined }),
      );
      if (seq !== this.loadSeq) return;
      this.items = response.data ?? [];
      this.total = Number(response.headers.get('X-Total-Count') ?? this.items.length);
      if (this.items.length === 0 && this.page > 1 && this.total > 0) {
        this.page = Math.max(1, Math.ceil(this.total / this.pageSize));
        void this.load();
        return;
      }
      if (!this.items.some((r) => r.id === this.selectedId)) this.selectedId = null;
    } catch (err) {
      if (seq !== this.loadSeq) return;
      this.notice = { kind: 'error', text: `Cannot list the endpoints: ${(err as Error).message}` };
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  private get selected(): Registry | undefined {
    return this.items.find((r) => r.id === this.selectedId);
  }

  private get endpointDialog(): EndpointDialog {
    return this.renderRoot.querySelector('berth-endpoint-dialog') as EndpointDialog;
  }

  private onFilter(e: InputEvent): void {
    this.filter = (e.target as HTMLInputElement).value;
    window.clearTimeout(this.filterTimer);
    this.filterTimer = window.setTimeout(() => {
      this.page = 1;
      void this.load();
    }, 250);
  }

  private async deleteSelected(): Promise<void> {
    const target = this.selected;
    if (!target) return;
    const confirm = this.renderRoot.querySelector('berth-confirm-dialog') as ConfirmDialog;
    const ok = await confirm.ask('Confirm removal of endpoint', `Do you want to delete endpoint ${target.name}?`);
    if (!ok) return;
    try {
      await call('DELETE', `/registries/${target.id}`);
      this.notice = { kind: 'success', text: `Endpoint ${target.name} was deleted.` };
      this.selectedId = null;
    } catch (err) {
      const reason = err instanceof ApiError ? err.message : String(err);
      this.notice = { kind: 'error', text: `Endpoint ${target.name} cannot be deleted: ${reason}` };
    }
    await this.load();
  }

  private saved(e: CustomEvent<{ name: string }>): void {
    this.notice = { kind: 'success', text: `Endpoint ${e.detail.name} was saved.` };
    void this.load();
  }

  private status(r: Registry) {
    const healthy = r.status === 'healthy';
    const label = healthy ? 'Healthy' : r.status === 'unhealthy' ? 'Unhealthy' : r.status || 'Unknown';
    const detail = !healthy && r.last_error ? r.last_error : '';
    return html`<span class="status ${healthy ? 'ok' : 'bad'}" title=${detail || label} tabindex=${detail ? 0 : -1}>
      <span class="dot" aria-hidden="true"></span>${label}${detail
        ? html`<span class="sr-only">: ${detail}</span>`
        : nothing}
    </span>`;
  }

  override render() {
    const selected = this.selected;
    return html`
      <h1>Registries</h1>
      ${this.notice
        ? html`<div class="alert ${this.notice.kind}" role=${this.notice.kind === 'error' ? 'alert' : 'status'}>
            <span class="grow" data-testid="notice">${this.notice.text}</span>
            <button class="link" aria-label="Dismiss" @click=${() => (this.notice = null)}>✕</button>
          </div>`
        : nothing}
      <div class="toolbar">
        <button class="primary" @click=${() => this.endpointDialog.open(null)}>+ New Endpoint</button>
        <button ?disabled=${!selected} @click=${() => selected && this.endpointDialog.open(selected)}>Edit</button>
        <button class="danger" ?disabled=${!selected} @click=${this.deleteSelected}>Delete</button>
        <span class="spacer"></span>
        <label class="sr-only" for="filter">Filter endpoints by name</label>
        <input
          id="filter"
          type="search"
          placeholder="Filter by name"
          .value=${this.filter}
          @input=${this.onFilter}
        />
        <button class="link" aria-label="Refresh" title="Refresh" @click=${() => this.load()}>⟳</button>
      </div>
      <div class="table-wrap">
        <table aria-busy=${this.loading ? 'true' : 'false'}>
          <thead>
            <tr>
              <th><span class="sr-only">Select</span></th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Endpoint URL</th>
              <th scope="col">Provider</th>
              <th scope="col">Verify Remote Cert</th>
              <th scope="col">Description</th>
              <th scope="col">Creation Time</th>
            </tr>
          </thead>
          <tbody>
            ${this.items.length === 0
              ? html`<tr>
                  <td colspan="8" class="empty">${this.loading ? 'Loading…' : 'We couldn\u2019t find any endpoints!'}</td>
                </tr>`
              : this.items.map(
                  (r) => html`<tr
                    class="selectable ${r.id === this.selectedId ? 'selected' : ''}"
                    data-name=${r.name}
                    @click=${() => (this.selectedId = r.id)}
                  >
                    <td>
                      <input
                        type="radio"
                        name="selected"
                        aria-label="Select ${r.name}"
                        .checked=${r.id === this.selectedId}
                        @change=${() => (this.selectedId = r.id)}
                      />
                    </td>
                    <td class="name">${r.name}</td>
                    <td>${this.status(r)}</td>
                    <td class="url">${r.url ?? ''}</td>
                    <td>${providerName(r.type)}</td>
                    <td>${r.insecure ? 'False' : 'True'}</td>
                    <td class="description">${r.description ?? ''}</td>
                    <td class="time">${formatTime(r.creation_time)}</td>
                  </tr>`,
                )}
          </tbody>
        </table>
      </div>
      ${pager(this, (page, pageSize) => {
        this.page = page;
        this.pageSize = pageSize;
        void this.load();
      })}
      <berth-endpoint-dialog .adapters=${this.adapters} .infos=${this.infos} @saved=${this.saved}></berth-endpoint-dialog>
      <berth-confirm-dialog></berth-confirm-dialog>
    `;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
      }
      td.url,
      td.description {
        overflow-wrap: anywhere;
        max-width: 22rem;
      }
      td.time {
        white-space: nowrap;
      }
      .status {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
        white-space: nowrap;
      }
      .status .dot {
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: var(--berth-success);
      }
      .status.bad .dot {
        background: var(--berth-danger);
      }
      .status.bad {
        cursor: help;
      }
    `,
  ];
}

customElements.define('berth-registries-page', RegistriesPage);
