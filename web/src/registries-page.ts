// Administration → Registries: the replication endpoints, paged, filtered by name, with
// New Endpoint, Edit and Delete.
import { css, html, nothing } from 'lit';

import { call, query, type AdapterInfos, type Registry } from './api';
import type { ConfirmDialog } from './confirm-dialog';
import './confirm-dialog';
import type { EndpointDialog } from './endpoint-dialog';
import './endpoint-dialog';
import { errorText, formatTime } from './format';
import { ListPage } from './list-page';
import { providerName } from './providers';

export class RegistriesPage extends ListPage<Registry> {
  static override properties = {
    adapters: { state: true },
    infos: { state: true },
  };

  declare adapters: string[];
  declare infos: AdapterInfos;
  protected readonly noun = 'endpoints';

  constructor() {
    super();
    this.adapters = [];
    this.infos = {};
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadProviders();
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

  protected listPath(name: string): string {
    // `name` (a substring), not q: a comma in the filter would split a q term.
    return '/registries' + query({ page: this.page, page_size: this.pageSize, name: name || undefined });
  }

  protected keyOf(r: Registry): number {
    return r.id;
  }

  private get endpointDialog(): EndpointDialog {
    return this.renderRoot.querySelector('berth-endpoint-dialog') as EndpointDialog;
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
      this.notice = { kind: 'error', text: `Endpoint ${target.name} cannot be deleted: ${errorText(err)}` };
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
      ${this.listView({
        title: 'Registries',
        actions: html`<button class="primary" @click=${() => this.endpointDialog.open(null)}>+ New Endpoint</button>
          <button ?disabled=${!selected} @click=${() => selected && this.endpointDialog.open(selected)}>Edit</button>
          <button class="danger" ?disabled=${!selected} @click=${this.deleteSelected}>Delete</button>`,
        filterLabel: 'Filter endpoints by name',
        columns: ['Name', 'Status', 'Endpoint URL', 'Provider', 'Verify Remote Cert', 'Description', 'Creation Time'],
        selectable: true,
        row: (r) =>
          this.selectableRow(
            r,
            'selected',
            html`<td class="name">${r.name}</td>
              <td>${this.status(r)}</td>
              <td class="url">${r.url ?? ''}</td>
              <td>${providerName(r.type)}</td>
              <td>${r.insecure ? 'False' : 'True'}</td>
              <td class="description">${r.description ?? ''}</td>
              <td class="time">${formatTime(r.creation_time)}</td>`,
          ),
      })}
      <berth-endpoint-dialog .adapters=${this.adapters} .infos=${this.infos} @saved=${this.saved}></berth-endpoint-dialog>
      <berth-confirm-dialog></berth-confirm-dialog>
    `;
  }

  static override styles = [
    ...ListPage.styles,
    css`
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
