// Administration → Replications: the replication rules (the rule form, runs and
// executions come later; the API and `berth replication ...` already do all of it).
import { LitElement, css, html, nothing } from 'lit';

import { call, query } from './api';
import { shared } from './styles';

interface Policy {
  id: number;
  name: string;
  enabled?: boolean;
  description?: string;
  src_registry?: { name?: string } | null;
  dest_registry?: { name?: string } | null;
  trigger?: { type?: string; trigger_settings?: { cron?: string } } | null;
}

export class ReplicationsPage extends LitElement {
  static override properties = {
    items: { state: true },
    error: { state: true },
  };

  declare items: Policy[];
  declare error: string;

  constructor() {
    super();
    this.items = [];
    this.error = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const response = await call<Policy[]>('GET', '/replication/policies' + query({ page: 1, page_size: 100 }));
      this.items = response.data ?? [];
    } catch (err) {
      this.error = `Cannot list the replication rules: ${(err as Error).message}`;
    }
  }

  override render() {
    return html`
      <h1>Replications</h1>
      ${this.error ? html`<div class="alert error" role="alert">${this.error}</div>` : nothing}
      <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Source Registry</th>
            <th scope="col">Destination Registry</th>
            <th scope="col">Trigger</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          ${this.items.map(
            (p) => html`<tr>
              <td>${p.name}</td>
              <td>${p.enabled ? 'Enabled' : 'Disabled'}</td>
              <td>${p.src_registry?.name ?? 'Local'}</td>
              <td>${p.dest_registry?.name ?? 'Local'}</td>
              <td>${p.trigger?.type ?? 'manual'}${p.trigger?.trigger_settings?.cron ? ` (${p.trigger.trigger_settings.cron})` : ''}</td>
              <td>${p.description ?? ''}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      </div>
    `;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .table-wrap {
        overflow-x: auto;
      }
    `,
  ];
}

customElements.define('berth-replications-page', ReplicationsPage);
