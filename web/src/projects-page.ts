// Projects: the projects the user can see, filtered by name and paged, and New Project
// (with the proxy-cache switch).
import { html } from 'lit';

import { query, type Project } from './api';
import { formatTime } from './format';
import { ListPage } from './list-page';
import type { ProjectDialog } from './project-dialog';
import './project-dialog';

export class ProjectsPage extends ListPage<Project> {
  protected readonly noun = 'projects';

  protected listPath(name: string): string {
    return '/projects' + query({ page: this.page, page_size: this.pageSize, name });
  }

  protected keyOf(p: Project): number {
    return p.project_id;
  }

  override render() {
    return html`
      ${this.listView({
        title: 'Projects',
        actions: html`<button
          class="primary"
          @click=${() => (this.renderRoot.querySelector('berth-project-dialog') as ProjectDialog).open()}
        >
          + New Project
        </button>`,
        filterLabel: 'Filter projects by name',
        columns: ['Project Name', 'Access Level', 'Type', 'Repositories Count', 'Creation Time'],
        row: (p) => html`<tr data-name=${p.name}>
          <td>${p.name}</td>
          <td>${p.metadata?.public === 'true' ? 'Public' : 'Private'}</td>
          <td>${p.registry_id ? 'Proxy Cache' : 'Project'}</td>
          <td>${p.repo_count ?? 0}</td>
          <td>${formatTime(p.creation_time)}</td>
        </tr>`,
      })}
      <berth-project-dialog
        @saved=${(e: CustomEvent<{ name: string }>) => {
          this.notice = { kind: 'success', text: `Project ${e.detail.name} was created.` };
          void this.load();
        }}
      ></berth-project-dialog>
    `;
  }
}

customElements.define('berth-projects-page', ProjectsPage);
