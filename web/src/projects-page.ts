// Projects: the projects the user can see, filtered by name and paged, and New Project
// (with the proxy-cache switch).
import { LitElement, css, html, nothing } from 'lit';

import { call, query, type Project } from './api';
import { formatTime } from './format';
import { kPageSizes, pager } from './pager';
import type { ProjectDialog } from './project-dialog';
import './project-dialog';
import { shared } from './styles';

export class ProjectsPage extends LitElement {
  static override properties = {
    items: { state: true },
    total: { state: true },
    page: { state: true },
    pageSize: { state: true },
    filter: { state: true },
    notice: { state: true },
    loading: { state: true },
  };

  declare items: Project[];
  declare total: number;
  declare page: number;
  declare pageSize: number;
  declare filter: string;
  declare notice: { kind: 'success' | 'error'; text: string } | null;
  declare loading: boolean;
  private filterTimer = 0;
  private loadSeq = 0;

  constructor() {
    super();
    this.items = [];
    this.total = 0;
    this.page = 1;
    this.pageSize = kPageSizes[0];
    this.filter = '';
    this.notice = null;
    this.loading = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.filterTimer);
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const response = await call<Project[]>(
        'GET',
        '/projects' + query({ page: this.page, page_size: this.pageSize, name: this.filter.trim() }),
      );
      if (seq !== this.loadSeq) return;
      this.items = response.data ?? [];
      this.total = Number(response.headers.get('X-Total-Count') ?? this.items.length);
    } catch (err) {
      if (seq !== this.loadSeq) return;
      this.notice = { kind: 'error', text: `Cannot list the projects: ${(err as Error).message}` };
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  private onFilter(e: InputEvent): void {
    this.filter = (e.target as HTMLInputElement).value;
    window.clearTimeout(this.filterTimer);
    this.filterTimer = window.setTimeout(() => {
      this.page = 1;
      void this.load();
    }, 250);
  }

  override render() {
    return html`
      <h1>Projects</h1>
      ${this.notice
        ? html`<div class="alert ${this.notice.kind}" role=${this.notice.kind === 'error' ? 'alert' : 'status'}>
            <span class="grow" data-testid="notice">${this.notice.text}</span>
            <button class="link" aria-label="Dismiss" @click=${() => (this.notice = null)}>✕</button>
          </div>`
        : nothing}
      <div class="toolbar">
        <button
          class="primary"
          @click=${() => (this.renderRoot.querySelector('berth-project-dialog') as ProjectDialog).open()}
        >
          + New Project
        </button>
        <span class="spacer"></span>
        <label class="sr-only" for="filter">Filter projects by name</label>
        <input id="filter" type="search" placeholder="Filter by name" .value=${this.filter} @input=${this.onFilter} />
        <button class="link" aria-label="Refresh" title="Refresh" @click=${() => this.load()}>⟳</button>
      </div>
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
            ${this.items.length === 0
              ? html`<tr>
                  <td colspan="5" class="empty">${this.loading ? 'Loading…' : 'We couldn\u2019t find any projects!'}</td>
                </tr>`
              : this.items.map(
                  (p) => html`<tr data-name=${p.name}>
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
      ${pager(this, (page, pageSize) => {
        this.page = page;
        this.pageSize = pageSize;
        void this.load();
      })}
      <berth-project-dialog
        @saved=${(e: CustomEvent<{ name: string }>) => {
          this.notice = { kind: 'success', text: `Project ${e.detail.name} was created.` };
          void this.load();
        }}
      ></berth-project-dialog>
    `;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
      }
    `,
  ];
}

customElements.define('berth-projects-page', ProjectsPage);
