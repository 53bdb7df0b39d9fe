// Projects: the list of projects the user can see (creating projects comes later).
import { LitElement, css, html, nothing } from 'lit';

import { call, query, type Project } from './api';
import { formatTime } from './format';
import { shared } from './styles';

export class ProjectsPage extends LitElement {
  static override properties = {
    items: { state: true },
    total: { state: true },
    error: { state: true },
    loading: { state: true },
  };

  declare items: Project[];
  declare total: number;
  declare error: string;
  declare loading: boolean;

  constructor() {
    super();
    this.items = [];
    this.total = 0;
    this.error = '';
    this.loading = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      const response = await call<Project[]>('GET', '/projects' + query({ page: 1, page_size: 100 }));
      this.items = response.data ?? [];
      this.total = Number(response.headers.get('X-Total-Count') ?? this.items.length);
      this.error = '';
    } catch (err) {
      this.error = `Cannot list the projects: ${(err as Error).message}`;
    } finally {
      this.loading = false;
    }
  }

  override render() {
    return html`
      <h1>Projects</h1>
      ${this.error ? html`<div class="alert error" role="alert">${this.error}</div>` : nothing}
      <div class="table-wrap">
      <table aria-busy=${this.loading ? 'true' : 'false'}>
        <thead>
          <tr>
            <th scope="col">Project Name</th>
            <th scope="col">Access Level</th>
            <th scope="col">Type</th>
            <th scope="col">Repositories Count</th>
            <th scope="col">Creation Time</th>
          </tr>
        </thead>
        <tbody>
          ${this.items.map(
            (p) => html`<tr>
              <td>${p.name}</td>
              <td>${p.metadata?.public === 'true' ? 'Public' : 'Private'}</td>
              <td>${p.registry_id ? 'Proxy Cache' : 'Project'}</td>
              <td>${p.repo_count ?? 0}</td>
              <td>${formatTime(p.creation_time)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      </div>
      <p class="count">${this.total} items</p>
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
      .count {
        text-align: right;
        font-size: 0.8rem;
      }
    `,
  ];
}

customElements.define('berth-projects-page', ProjectsPage);
