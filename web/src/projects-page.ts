// Projects: the projects the user can see, filtered by name and paged, New Project (with
// the proxy-cache switch) and Delete.
import { html } from 'lit';

import { call, query, type Project } from './api';
import type { ConfirmDialog } from './confirm-dialog';
import './confirm-dialog';
import { errorText, formatTime } from './format';
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

  // As Harbor: a project is deleted once it holds no repositories; the server says so
  // otherwise. Deleting a proxy-cache project frees its endpoint.
  private async deleteSelected(): Promise<void> {
    const target = this.selected;
    if (!target) return;
    const confirm = this.renderRoot.querySelector('berth-confirm-dialog') as ConfirmDialog;
    const ok = await confirm.ask('Confirm removal of project', `Do you want to delete project ${target.name}?`);
    if (!ok) return;
    try {
      await call('DELETE', `/projects/${target.project_id}`);
      this.notice = { kind: 'success', text: `Project ${target.name} was deleted.` };
      this.selectedId = null;
    } catch (err) {
      this.notice = { kind: 'error', text: `Project ${target.name} cannot be deleted: ${errorText(err)}` };
    }
    await this.load();
  }

  override render() {
    const selected = this.selected;
    return html`
      ${this.listView({
        title: 'Projects',
        actions: html`<button
            class="primary"
            @click=${() => (this.renderRoot.querySelector('berth-project-dialog') as ProjectDialog).open()}
          >
            + New Project
          </button>
          <button class="danger" ?disabled=${!selected} @click=${this.deleteSelected}>Delete</button>`,
        filterLabel: 'Filter projects by name',
        columns: ['Project Name', 'Access Level', 'Type', 'Repositories Count', 'Creation Time'],
        selectable: true,
        row: (p) =>
          this.selectableRow(
            p,
            'selected-project',
            html`<td>${p.name}</td>
              <td>${p.metadata?.public === 'true' ? 'Public' : 'Private'}</td>
              <td>${p.registry_id ? 'Proxy Cache' : 'Project'}</td>
              <td>${p.repo_count ?? 0}</td>
              <td>${formatTime(p.creation_time)}</td>`,
          ),
      })}
      <berth-project-dialog
        @saved=${(e: CustomEvent<{ name: string }>) => {
          this.notice = { kind: 'success', text: `Project ${e.detail.name} was created.` };
          void this.load();
        }}
      ></berth-project-dialog>
      <berth-confirm-dialog></berth-confirm-dialog>
    `;
  }
}

customElements.define('berth-projects-page', ProjectsPage);
