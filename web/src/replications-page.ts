// Administration → Replications, as in Harbor: the rules (filtered by name, paged) with
// New / Edit / Delete / Replicate, and below them the executions of the selected rule
// with their progress (polled while one is in progress), Stop, the tasks of the selected
// execution and each task's log.
import { css, html, nothing } from 'lit';

import {
  call,
  callText,
  query,
  type ReplicationExecution,
  type ReplicationPolicy,
  type ReplicationTask,
} from './api';
import type { ConfirmDialog } from './confirm-dialog';
import './confirm-dialog';
import { modalStyles } from './dialog';
import { errorText, formatTime } from './format';
import { ListPage } from './list-page';
import { kPageSizes, pager } from './pager';
import type { RuleDialog } from './rule-dialog';
import './rule-dialog';

const kPollMs = 1500;
// How often a rule that starts on its own (events, a schedule) is asked for new runs.
const kIdlePollMs = 5000;

function triggerText(p: ReplicationPolicy) {
  switch (p.trigger?.type) {
    case 'scheduled':
      return html`Scheduled <span class="cron">(${p.trigger.trigger_settings?.cron ?? ''})</span>`;
    case 'event_based':
      return 'Event Based';
    default:
      return 'Manual';
  }
}

const kTriggerWords: Record<string, string> = { manual: 'Manual', scheduled: 'Scheduled', event_based: 'Event Based' };

const kStatusWords: Record<string, string> = {
  InProgress: 'In Progress',
  Succeed: 'Succeeded',
  Failed: 'Failed',
  Stopped: 'Stopped',
  Pending: 'Pending',
  Running: 'Running',
};

function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function statusWord(status: string): string {
  return kStatusWords[status] ?? status;
}

function isRunning(status: string): boolean {
  return status === 'InProgress' || status === 'Pending' || status === 'Running';
}

export class ReplicationsPage extends ListPage<ReplicationPolicy> {
  static override properties = {
    executions: { state: true },
    executionTotal: { state: true },
    executionPage: { state: true },
    executionPageSize: { state: true },
    executionId: { state: true },
    tasks: { state: true },
    log: { state: true },
  };

  declare executions: ReplicationExecution[];
  declare executionTotal: number;
  declare executionPage: number;
  declare executionPageSize: number;
  declare executionId: number | null;
  declare tasks: ReplicationTask[];
  declare log: { title: string; text: string; url: string } | null;
  protected readonly noun = 'replication rules';
  private pollTimer = 0;
  private executionSeq = 0;

  constructor() {
    super();
    this.executions = [];
    this.executionTotal = 0;
    this.executionPage = 1;
    this.executionPageSize = kPageSizes[0];
    this.executionId = null;
    this.tasks = [];
    this.log = null;
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.pollTimer);
    if (this.log) URL.revokeObjectURL(this.log.url);
    super.disconnectedCallback();
  }

  // ---- rules ----

  protected listPath(name: string): string {
    return (
      '/replication/policies' +
      query({ page: this.page, page_size: this.pageSize, name: name || undefined })
    );
  }

  protected keyOf(p: ReplicationPolicy): number {
    return p.id;
  }

  private get ruleDialog(): RuleDialog {
    return this.renderRoot.querySelector('berth-rule-dialog') as RuleDialog;
  }

  private get confirm(): ConfirmDialog {
    return this.renderRoot.querySelector('berth-confirm-dialog') as ConfirmDialog;
  }

  protected override select(id: number | null): void {
    if (id === this.selectedId) return;
    super.select(id);
    this.executions = [];
    this.executionTotal = 0;
    this.executionPage = 1;
    this.executionId = null;
    this.tasks = [];
    window.clearTimeout(this.pollTimer);
    if (id !== null) void this.loadExecutions();
  }

  private async editSelected(): Promise<void> {
    const target = this.selected;
    if (!target) return;
    try {
      // The list may be older than the rule: edit the stored one.
      const response = await call<ReplicationPolicy>('GET', `/replication/policies/${target.id}`);
      await this.ruleDialog.open(response.data);
    } catch (err) {
      this.notice = { kind: 'error', text: `Cannot read rule ${target.name}: ${errorText(err)}` };
    }
  }

  private async deleteSelected(): Promise<void> {
    const target = this.selected;
    if (!target) return;
    const ok = await this.confirm.ask(
      'Confirm removal of replication rule',
      `Do you want to delete replication rule ${target.name}? Its executions are deleted with it.`,
    );
    if (!ok) return;
    try {
      await call('DELETE', `/replication/policies/${target.id}`);
      this.notice = { kind: 'success', text: `Replication rule ${target.name} was deleted.` };
      this.select(null);
    } catch (err) {
      this.notice = { kind: 'error', text: `Replication rule ${target.name} cannot be deleted: ${errorText(err)}` };
    }
    await this.load();
  }

  private async replicateSelected(): Promise<void> {
    const target = this.selected;
    if (!target) return;
    const ok = await this.confirm.ask(
      'Confirm replication',
      `Do you want to start replicating the resources of rule ${target.name} now?`,
      'Replicate',
      false,
    );
    if (!ok) return;
    try {
      const response = await call('POST', '/replication/executions', { policy_id: target.id });
      const id = Number(response.headers.get('Location')?.split('/').pop());
      this.notice = { kind: 'success', text: `Replication of rule ${target.name} started.` };
      this.executionPage = 1;
      if (Number.isInteger(id) && id > 0) this.executionId = id;
    } catch (err) {
      this.notice = { kind: 'error', text: `Rule ${target.name} cannot be replicated: ${errorText(err)}` };
    }
    await this.loadExecutions();
  }

  // ---- executions and tasks ----

  private async loadExecutions(): Promise<void> {
    const policyId = this.selectedId;
    if (policyId === null) return;
    const seq = ++this.executionSeq;
    window.clearTimeout(this.pollTimer);
    try {
      const response = await call<ReplicationExecution[]>(
        'GET',
        '/replication/executions' +
          query({ policy_id: policyId, page: this.executionPage, page_size: this.executionPageSize }),
      );
      if (seq !== this.executionSeq || policyId !== this.selectedId) return;
      this.executions = response.data ?? [];
      this.executionTotal = Number(response.headers.get('X-Total-Count') ?? this.executions.length);
      if (this.executionId !== null && this.executions.some((e) => e.id === this.executionId)) {
        await this.loadTasks(seq);
      }
    } catch (err) {
      if (seq !== this.executionSeq) return;
      this.notice = { kind: 'error', text: `Cannot list the executions: ${errorText(err)}` };
    }
    if (seq !== this.executionSeq) return;
    // Live progress: ask again while an execution on this page is still running; a rule
    // that starts on its own is asked every few seconds, so its new runs appear by
    // themselves.
    const trigger = this.selected?.trigger?.type;
    if (this.executions.some((e) => isRunning(e.status))) {
      this.pollTimer = window.setTimeout(() => void this.loadExecutions(), kPollMs);
    } else if (trigger === 'event_based' || trigger === 'scheduled') {
      this.pollTimer = window.setTimeout(() => void this.loadExecutions(), kIdlePollMs);
    }
  }

  private async loadTasks(seq = this.executionSeq): Promise<void> {
    const executionId = this.executionId;
    if (executionId === null) return;
    try {
      const response = await call<ReplicationTask[]>(
        'GET',
        `/replication/executions/${executionId}/tasks` + query({ page: 1, page_size: 100 }),
      );
      if (seq !== this.executionSeq || executionId !== this.executionId) return;
      this.tasks = response.data ?? [];
    } catch (err) {
      this.notice = { kind: 'error', text: `Cannot list the tasks: ${errorText(err)}` };
    }
  }

  private selectExecution(id: number): void {
    if (id === this.executionId) return;
    this.executionId = id;
    this.tasks = [];
    void this.loadTasks();
  }

  private get selectedExecution(): ReplicationExecution | undefined {
    return this.executions.find((e) => e.id === this.executionId);
  }

  private async stopSelected(): Promise<void> {
    const target = this.selectedExecution;
    if (!target) return;
    const ok = await this.confirm.ask('Confirm stop', `Do you want to stop execution ${target.id}?`, 'Stop');
    if (!ok) return;
    try {
      await call('PUT', `/replication/executions/${target.id}`);
      this.notice = { kind: 'success', text: `Execution ${target.id} is being stopped.` };
    } catch (err) {
      this.notice = { kind: 'error', text: `Execution ${target.id} cannot be stopped: ${errorText(err)}` };
    }
    await this.loadExecutions();
  }

  private async openLog(task: ReplicationTask): Promise<void> {
    const path = `/replication/executions/${task.execution_id}/tasks/${task.id}/log`;
    try {
      const text = await callText(path);
      if (this.log) URL.revokeObjectURL(this.log.url);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
      this.log = { title: `Log of task ${task.id} (${task.src_resource ?? ''})`, text, url };
      await this.updateComplete;
      const dialog = this.renderRoot.querySelector('dialog.log') as HTMLDialogElement;
      if (!dialog.open) dialog.showModal();
      (dialog.querySelector('button.close') as HTMLButtonElement).focus();
    } catch (err) {
      this.notice = { kind: 'error', text: `Cannot read the log of task ${task.id}: ${errorText(err)}` };
    }
  }

  // ---- rendering ----

  private ruleRow(p: ReplicationPolicy) {
    const pull = (p.src_registry?.id ?? 0) !== 0;
    return this.selectableRow(
      p,
      'rule',
      html`<td class="name">${p.name}</td>
        <td>
          <span class="state ${p.enabled ? 'ok' : 'off'}"><span class="dot" aria-hidden="true"></span>${p.enabled ? 'Enabled' : 'Disabled'}</span>
        </td>
        <td>${pull ? 'pull-based' : 'push-based'}</td>
        <td>${p.src_registry?.name ?? 'Local'}</td>
        <td>${p.dest_registry?.name ?? 'Local'}</td>
        <td class="wrap">${p.dest_namespace || '-'}</td>
        <td>${triggerText(p)}</td>
        <td class="wrap">${p.description ?? ''}</td>`,
    );
  }

  private progress(e: ReplicationExecution) {
    const total = e.total ?? 0;
    const done = (e.succeed ?? 0) + (e.failed ?? 0) + (e.stopped ?? 0);
    // The bar fills with finished tasks; it turns red when some failed and grey when the
    // run was stopped, so a finished bar is not mistaken for a success.
    const outcome = (e.failed ?? 0) > 0 ? 'failed' : e.status === 'Stopped' ? 'stopped' : '';
    return html`<div class="progress">
      <progress
        class=${outcome || nothing}
        max=${Math.max(total, 1)}
        value=${total ? done : isRunning(e.status) ? 0 : 1}
        aria-label="Execution ${e.id} progress${outcome ? ` (${outcome})` : ''}"
      ></progress>
      <span data-testid="counters"
        >${e.succeed ?? 0} succeeded, ${e.failed ?? 0} failed, ${e.in_progress ?? 0} in progress, ${e.stopped ?? 0}
        stopped, ${total} total${e.bytes ? `; ${sizeText(e.bytes)} sent` : ''}</span
      >
    </div>`;
  }

  private executionsSection(rule: ReplicationPolicy) {
    const current = this.selectedExecution;
    return html`<section aria-labelledby="executions-title">
      <h2 id="executions-title">Executions of ${rule.name}</h2>
      <div class="toolbar">
        <button class="danger" ?disabled=${!current || !isRunning(current.status)} @click=${this.stopSelected}>
          Stop
        </button>
        <span class="spacer"></span>
        <button class="link" aria-label="Refresh executions" title="Refresh" @click=${() => this.loadExecutions()}>⟳</button>
      </div>
      <div class="table-wrap">
        <table aria-label="Executions">
          <thead>
            <tr>
              <th><span class="sr-only">Select</span></th>
              <th scope="col">ID</th>
              <th scope="col">Status</th>
              <th scope="col">Trigger</th>
              <th scope="col">Progress</th>
              <th scope="col">Start Time</th>
              <th scope="col">End Time</th>
            </tr>
          </thead>
          <tbody>
            ${this.executions.length === 0
              ? html`<tr><td colspan="7" class="empty">No executions yet: click Replicate to start one.</td></tr>`
              : this.executions.map(
                  (e) => html`<tr
                    class="selectable ${e.id === this.executionId ? 'selected' : ''}"
                    data-execution=${e.id}
                    @click=${() => this.selectExecution(e.id)}
                  >
                    <td>
                      <input
                        type="radio"
                        name="execution"
                        aria-label="Select execution ${e.id}"
                        .checked=${e.id === this.executionId}
                        @change=${() => this.selectExecution(e.id)}
                      />
                    </td>
                    <td>${e.id}</td>
                    <td>
                      <span class="exec-status ${e.status}" data-testid="execution-status">${statusWord(e.status)}</span>
                      ${e.status_text ? html`<div class="hint">${e.status_text}</div>` : nothing}
                    </td>
                    <td>${kTriggerWords[e.trigger ?? ''] ?? e.trigger ?? ''}</td>
                    <td>${this.progress(e)}</td>
                    <td class="time">${formatTime(e.start_time)}</td>
                    <td class="time">${formatTime(e.end_time)}</td>
                  </tr>`,
                )}
          </tbody>
        </table>
      </div>
      ${pager({ page: this.executionPage, pageSize: this.executionPageSize, total: this.executionTotal }, (page, pageSize) => {
        this.executionPage = page;
        this.executionPageSize = pageSize;
        void this.loadExecutions();
      })}
      ${current ? this.tasksSection(current) : nothing}
    </section>`;
  }

  private tasksSection(execution: ReplicationExecution) {
    return html`<section aria-labelledby="tasks-title">
      <h3 id="tasks-title">Tasks of execution ${execution.id}</h3>
      <div class="table-wrap">
        <table aria-label="Tasks">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Resource</th>
              <th scope="col">Destination</th>
              <th scope="col">Operation</th>
              <th scope="col">Status</th>
              <th scope="col">Start Time</th>
              <th scope="col">End Time</th>
              <th scope="col">Logs</th>
            </tr>
          </thead>
          <tbody>
            ${this.tasks.length === 0
              ? html`<tr>
                  <td colspan="8" class="empty">${execution.status_text || 'No tasks.'}</td>
                </tr>`
              : this.tasks.map(
                  (t) => html`<tr data-task=${t.id}>
                    <td>${t.id}</td>
                    <td class="wrap">${t.src_resource ?? ''} <span class="hint">(${t.resource_type ?? ''})</span></td>
                    <td class="wrap">${t.dst_resource ?? ''}</td>
                    <td>${t.operation ?? ''}</td>
                    <td>
                      <span class="exec-status ${t.status}" data-testid="task-status">${statusWord(t.status)}</span>
                      ${t.artifacts_total ? html`<div class="hint">${t.artifacts_done ?? 0} / ${t.artifacts_total} artifacts</div>` : nothing}
                    </td>
                    <td class="time">${formatTime(t.start_time)}</td>
                    <td class="time">${formatTime(t.end_time)}</td>
                    <td>
                      <button class="link" aria-label="Log of task ${t.id}" @click=${() => this.openLog(t)}>Log</button>
                    </td>
                  </tr>`,
                )}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  private logDialog() {
    return html`<dialog class="log" aria-labelledby="log-title" @close=${() => this.requestUpdate()}>
      <div class="log-head">
        <h2 id="log-title">${this.log?.title ?? 'Log'}</h2>
        <span class="spacer"></span>
        ${this.log
          ? html`<a href=${this.log.url} target="_blank" rel="noopener">Open as text</a>`
          : nothing}
        <button class="close" @click=${(e: Event) => ((e.target as HTMLElement).closest('dialog') as HTMLDialogElement).close()}>
          Close
        </button>
      </div>
      <pre data-testid="task-log" tabindex="0">${this.log?.text ?? ''}</pre>
    </dialog>`;
  }

  override render() {
    const selected = this.selected;
    return html`
      ${this.listView({
        title: 'Replications',
        actions: html`<button class="primary" @click=${() => this.ruleDialog.open(null)}>+ New Replication Rule</button>
          <button ?disabled=${!selected} @click=${this.editSelected}>Edit</button>
          <button class="danger" ?disabled=${!selected} @click=${this.deleteSelected}>Delete</button>
          <button
            ?disabled=${!selected || !selected.enabled}
            title=${selected && !selected.enabled ? 'Enable the rule to replicate it' : ''}
            @click=${this.replicateSelected}
          >
            Replicate
          </button>`,
        filterLabel: 'Filter replication rules by name',
        columns: [
          'Name',
          'Status',
          'Replication Mode',
          'Source Registry',
          'Destination Registry',
          'Destination Namespace',
          'Trigger Mode',
          'Description',
        ],
        selectable: true,
        tableLabel: 'Replication rules',
        tableClass: 'rules',
        row: (p) => this.ruleRow(p),
      })}
      ${selected ? this.executionsSection(selected) : nothing}
      <berth-rule-dialog
        @saved=${(e: CustomEvent<{ name: string }>) => {
          this.notice = { kind: 'success', text: `Replication rule ${e.detail.name} was saved.` };
          void this.load();
        }}
      ></berth-rule-dialog>
      <berth-confirm-dialog></berth-confirm-dialog>
      ${this.logDialog()}
    `;
  }

  static override styles = [
    ...ListPage.styles,
    modalStyles,
    css`
      h2 {
        font-size: 1.25rem;
        font-weight: 400;
        margin: 1.5rem 0 0.75rem;
      }
      h3 {
        font-size: 1.05rem;
        font-weight: 400;
        margin: 1.25rem 0 0.6rem;
      }
      td.wrap {
        overflow-wrap: anywhere;
        max-width: 20rem;
      }
      td.time,
      td.name,
      .cron {
        white-space: nowrap;
      }
      table.rules th {
        white-space: normal;
      }
      .hint {
        font-size: 0.75rem;
        color: var(--berth-muted);
      }
      .state {
        display: inline-flex;
        align-items: center;
        gap: 0.35rem;
        white-space: nowrap;
      }
      .state .dot {
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: var(--berth-success);
      }
      .state.off .dot {
        background: #999;
      }
      .exec-status {
        font-weight: 600;
        white-space: nowrap;
      }
      .exec-status.Succeed {
        color: var(--berth-success);
      }
      .exec-status.Failed {
        color: var(--berth-danger);
      }
      .exec-status.InProgress {
        color: var(--berth-blue);
      }
      .progress {
        display: flex;
        flex-direction: column;
        gap: 0.2rem;
        min-width: 11rem;
      }
      .progress progress {
        width: 100%;
        height: 0.6rem;
        accent-color: var(--berth-blue);
      }
      .progress progress.failed {
        accent-color: var(--berth-danger);
      }
      .progress progress.stopped {
        accent-color: var(--berth-muted);
      }
      .progress span {
        font-size: 0.75rem;
        color: var(--berth-muted);
      }
      dialog.log {
        padding: 1rem 1.25rem;
        width: min(60rem, calc(100vw - 1.5rem));
      }
      .log-head {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        flex-wrap: wrap;
      }
      .log-head h2 {
        margin: 0;
        font-size: 1.1rem;
        overflow-wrap: anywhere;
      }
      .log-head a {
        font-size: 0.85rem;
        color: var(--berth-blue);
      }
      pre {
        background: #1e1e1e;
        color: #e8e8e8;
        padding: 0.75rem;
        border-radius: 3px;
        font-size: 0.75rem;
        max-height: 60vh;
        overflow: auto;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        margin: 0.75rem 0 0;
      }
    `,
  ];
}

customElements.define('berth-replications-page', ReplicationsPage);
