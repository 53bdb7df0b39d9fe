// The "New Replication Rule" / "Edit Replication Rule" dialog, in the order of Harbor's
// form: name, description, replication mode, the source (registry for pull-based) and its
// resource filters, the destination (registry for push-based), namespace and flattening,
// the trigger, bandwidth and the switches. The server validates the rule (the cron above
// all) and its reason is shown at the top of the form.
import { css, html, nothing } from 'lit';

import { call, type Registry, type ReplicationFilter, type ReplicationPolicy } from './api';
import { FormDialog, fieldError, formDialogStyles, requiredMark } from './dialog';
import { providerName } from './providers';

type Mode = 'push' | 'pull';
type Decoration = 'matches' | 'excludes';

// Harbor's flattening levels and their words.
const kFlattening: { value: number; label: string }[] = [
  { value: -1, label: 'Flatten All Levels' },
  { value: 0, label: 'No Flattening' },
  { value: 1, label: 'Flatten 1 Level' },
  { value: 2, label: 'Flatten 2 Levels' },
  { value: 3, label: 'Flatten 3 Levels' },
];

interface Form {
  name: string;
  description: string;
  mode: Mode;
  srcRegistryId: number | null;
  destRegistryId: number | null;
  nameFilter: string;
  tagFilter: string;
  tagDecoration: Decoration;
  labelFilter: string; // label names, comma separated
  labelDecoration: Decoration;
  resource: string; // '' (all) | image | artifact
  destNamespace: string;
  flattening: number;
  trigger: string; // manual | scheduled | event_based
  cron: string;
  speed: string; // as typed; -1 unlimited
  speedUnit: 'Kbps' | 'Mbps';
  override: boolean;
  deletion: boolean;
  enabled: boolean;
  copyByChunk: boolean;
  singleActive: boolean;
}

function emptyForm(): Form {
  return {
    name: '',
    description: '',
    mode: 'push',
    srcRegistryId: null,
    destRegistryId: null,
    nameFilter: '',
    tagFilter: '',
    tagDecoration: 'matches',
    labelFilter: '',
    labelDecoration: 'matches',
    resource: '',
    destNamespace: '',
    flattening: 1,
    trigger: 'manual',
    cron: '',
    speed: '-1',
    speedUnit: 'Kbps',
    override: true,
    deletion: false,
    enabled: true,
    copyByChunk: false,
    singleActive: false,
  };
}

function formFrom(p: ReplicationPolicy): Form {
  const form = emptyForm();
  const srcId = p.src_registry?.id ?? 0;
  const destId = p.dest_registry?.id ?? 0;
  form.name = p.name;
  form.description = p.description ?? '';
  form.mode = srcId !== 0 ? 'pull' : 'push';
  form.srcRegistryId = srcId || null;
  form.destRegistryId = destId || null;
  for (const f of p.filters ?? []) {
    const value = Array.isArray(f.value) ? f.value : [f.value];
    if (f.type === 'name') form.nameFilter = value[0] ?? '';
    if (f.type === 'tag') {
      form.tagFilter = value[0] ?? '';
      form.tagDecoration = f.decoration === 'excludes' ? 'excludes' : 'matches';
    }
    if (f.type === 'label') {
      form.labelFilter = value.join(', ');
      form.labelDecoration = f.decoration === 'excludes' ? 'excludes' : 'matches';
    }
    if (f.type === 'resource') form.resource = value[0] ?? '';
  }
  form.destNamespace = p.dest_namespace ?? '';
  form.flattening = p.dest_namespace_replace_count ?? -1;
  form.trigger = p.trigger?.type || 'manual';
  form.cron = p.trigger?.trigger_settings?.cron ?? '';
  const speed = p.speed ?? 0;
  form.speed = speed > 0 ? String(speed) : '-1';
  form.override = p.override ?? false;
  form.deletion = p.replicate_deletion ?? false;
  form.enabled = p.enabled ?? true;
  form.copyByChunk = p.copy_by_chunk ?? false;
  form.singleActive = p.single_active_replication ?? false;
  return form;
}

export class RuleDialog extends FormDialog {
  static override properties = {
    form: { state: true },
    editing: { state: true },
    endpoints: { state: true },
    touched: { state: true },
  };

  declare form: Form;
  declare editing: ReplicationPolicy | null;
  declare endpoints: Registry[];
  declare touched: boolean;
  private nameEdited = false;

  constructor() {
    super();
    this.form = emptyForm();
    this.editing = null;
    this.endpoints = [];
    this.touched = false;
  }

  async open(policy: ReplicationPolicy | null): Promise<void> {
    this.editing = policy;
    this.form = policy ? formFrom(policy) : emptyForm();
    this.touched = false;
    this.nameEdited = false;
    this.saving = false;
    this.error = '';
    await this.show('#rule-name');
    try {
      const response = await call<Registry[]>('GET', '/registries?page=1&page_size=100');
      this.endpoints = response.data ?? [];
    } catch (err) {
      this.error = `Cannot list the endpoints: ${(err as Error).message}`;
    }
  }

  private set<K extends keyof Form>(key: K, value: Form[K]): void {
    this.form = { ...this.form, [key]: value };
  }

  private get speedKbps(): number | null {
    const text = this.form.speed.trim();
    if (!/^-?\d+$/.test(text)) return null;
    const n = Number(text);
    if (n === -1) return -1;
    if (n <= 0) return null;
    return this.form.speedUnit === 'Mbps' ? n * 1024 : n;
  }

  // The first reason the form cannot be sent, by field; empty when it can.
  private get problems(): Partial<Record<'name' | 'registry' | 'cron' | 'speed', string>> {
    const f = this.form;
    const out: Partial<Record<'name' | 'registry' | 'cron' | 'speed', string>> = {};
    if (!f.name.trim()) out.name = 'Name is required.';
    if (f.mode === 'push' && f.destRegistryId === null) out.registry = 'Select the destination registry.';
    if (f.mode === 'pull' && f.srcRegistryId === null) out.registry = 'Select the source registry.';
    if (f.trigger === 'scheduled' && !f.cron.trim()) out.cron = 'A scheduled trigger needs a cron.';
    if (this.speedKbps === null) out.speed = 'Give a bandwidth above 0, or -1 for unlimited.';
    return out;
  }

  private body(): Record<string, unknown> {
    const f = this.form;
    const filters: ReplicationFilter[] = [];
    if (f.nameFilter.trim()) filters.push({ type: 'name', value: f.nameFilter.trim() });
    if (f.tagFilter.trim()) filters.push({ type: 'tag', value: f.tagFilter.trim(), decoration: f.tagDecoration });
    const labels = f.labelFilter
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (labels.length) filters.push({ type: 'label', value: labels, decoration: f.labelDecoration });
    if (f.resource) filters.push({ type: 'resource', value: f.resource });
    const trigger: Record<string, unknown> = { type: f.trigger };
    if (f.trigger === 'scheduled') trigger.trigger_settings = { cron: f.cron.trim() };
    return {
      name: f.name.trim(),
      description: f.description,
      src_registry: f.mode === 'pull' ? { id: f.srcRegistryId } : null,
      dest_registry: f.mode === 'push' ? { id: f.destRegistryId } : null,
      dest_namespace: f.destNamespace.trim(),
      dest_namespace_replace_count: f.flattening,
      filters,
      trigger,
      speed: this.speedKbps ?? -1,
      override: f.override,
      replicate_deletion: f.mode === 'push' && f.deletion,
      enabled: f.enabled,
      copy_by_chunk: f.copyByChunk,
      single_active_replication: f.singleActive && f.trigger !== 'event_based',
    };
  }

  protected async save(e: Event): Promise<void> {
    e.preventDefault();
    this.touched = true;
    if (Object.keys(this.problems).length || this.saving) return;
    const body = this.body();
    const editing = this.editing;
    const sent = await this.submit(body.name as string, () =>
      editing
        ? call('PUT', `/replication/policies/${editing.id}`, body)
        : call('POST', '/replication/policies', body),
    );
    if (!sent) {
      await this.updateComplete;
      this.renderRoot.querySelector('.alert.error')?.scrollIntoView({ block: 'nearest' });
    }
  }

  private text(id: string, key: 'name' | 'nameFilter' | 'tagFilter' | 'labelFilter' | 'destNamespace' | 'cron', extra: Record<string, string> = {}) {
    return html`<input
      id=${id}
      type="text"
      autocomplete="off"
      placeholder=${extra.placeholder ?? ''}
      aria-label=${extra.label ?? nothing}
      aria-describedby=${extra.describedby ?? nothing}
      aria-invalid=${extra.invalid ?? 'false'}
      .value=${this.form[key]}
      @input=${(e: InputEvent) => this.set(key, (e.target as HTMLInputElement).value)}
    />`;
  }

  private check(id: string, key: 'override' | 'deletion' | 'enabled' | 'copyByChunk' | 'singleActive', label: string, hint = '') {
    return html`<label class="check">
        <input
          id=${id}
          type="checkbox"
          .checked=${this.form[key]}
          @change=${(e: Event) => this.set(key, (e.target as HTMLInputElement).checked)}
        />
        ${label}
      </label>
      ${hint ? html`<div class="hint indent">${hint}</div>` : nothing}`;
  }

  private registrySelect(id: string, key: 'srcRegistryId' | 'destRegistryId', invalid: boolean) {
    const value = this.form[key];
    return html`<select
      id=${id}
      required
      aria-invalid=${invalid ? 'true' : 'false'}
      aria-describedby=${invalid ? 'registry-error' : nothing}
      @change=${(e: Event) => {
        const v = (e.target as HTMLSelectElement).value;
        this.set(key, v ? Number(v) : null);
      }}
    >
      <option value="" ?selected=${value === null}>Select an endpoint</option>
      ${this.endpoints.map(
        (r) => html`<option value=${r.id} ?selected=${r.id === value}>${r.name}-${r.url} (${providerName(r.type)})</option>`,
      )}
    </select>`;
  }

  private decoration(id: string, key: 'tagDecoration' | 'labelDecoration', what: string) {
    return html`<select
      id=${id}
      class="decoration"
      aria-label="${what} filter: matching or excluding"
      @change=${(e: Event) => this.set(key, (e.target as HTMLSelectElement).value as Decoration)}
    >
      <option value="matches" ?selected=${this.form[key] === 'matches'}>matching</option>
      <option value="excludes" ?selected=${this.form[key] === 'excludes'}>excluding</option>
    </select>`;
  }

  override render() {
    const f = this.form;
    const problems = this.touched ? this.problems : {};
    const valid = Object.keys(this.problems).length === 0;
    const push = f.mode === 'push';
    return this.frame({
      titleId: 'rule-dialog-title',
      title: this.editing ? 'Edit Replication Rule' : 'New Replication Rule',
      okLabel: 'Save',
      valid,
      errorTestId: 'rule-error',
      body: html`

        <label for="rule-name" class="field-label">Name ${requiredMark}</label>
        <input
          id="rule-name"
          type="text"
          required
          autocomplete="off"
          aria-invalid=${problems.name ? 'true' : 'false'}
          aria-describedby=${problems.name ? 'name-error' : nothing}
          .value=${f.name}
          @input=${(e: InputEvent) => {
            this.nameEdited = true;
            this.set('name', (e.target as HTMLInputElement).value);
          }}
          @blur=${() => {
            // Only once typed in: an error appearing on a mere pass-through would move the
            // form under the pointer between mouse down and up.
            if (this.nameEdited) this.touched = true;
          }}
        />
        ${fieldError('name-error', problems.name)}

        <label for="rule-description" class="field-label">Description</label>
        <textarea
          id="rule-description"
          rows="2"
          .value=${f.description}
          @input=${(e: InputEvent) => this.set('description', (e.target as HTMLTextAreaElement).value)}
        ></textarea>

        <fieldset>
          <legend class="field-label">Replication mode</legend>
          <div class="row">
            <label class="check">
              <input
                type="radio"
                name="mode"
                value="push"
                .checked=${push}
                @change=${() => this.form = { ...this.form, mode: 'push' }}
              />
              Push-based
            </label>
            <label class="check">
              <input
                type="radio"
                name="mode"
                value="pull"
                .checked=${!push}
                @change=${() => this.form = { ...this.form, mode: 'pull', deletion: false, trigger: f.trigger === 'event_based' ? 'manual' : f.trigger }}
              />
              Pull-based
            </label>
          </div>
          <div class="hint">
            ${push
              ? 'Push the resources of this Berth to the destination registry.'
              : 'Pull the resources of the source registry into this Berth.'}
          </div>
        </fieldset>

        ${push
          ? nothing
          : html`<label for="src-registry" class="field-label">
                Source registry ${requiredMark}
              </label>
              ${this.registrySelect('src-registry', 'srcRegistryId', !!problems.registry)}
              ${fieldError('registry-error', problems.registry)}`}

        <fieldset>
          <legend class="field-label">Source resource filter</legend>
          <div class="filters">
            <label for="filter-name">Name</label>
            <div>
              ${this.text('filter-name', 'nameFilter', { label: 'Name filter', placeholder: 'library/** (empty: all)', describedby: 'pattern-hint' })}
            </div>
            <label for="filter-tag">Tag</label>
            <div class="pair">
              ${this.decoration('tag-decoration', 'tagDecoration', 'Tag')}
              ${this.text('filter-tag', 'tagFilter', { label: 'Tag filter', placeholder: 'v* (empty: all)', describedby: 'pattern-hint' })}
            </div>
            <label for="filter-label">Label</label>
            <div class="pair">
              ${this.decoration('label-decoration', 'labelDecoration', 'Label')}
              ${this.text('filter-label', 'labelFilter', { label: 'Label filter', placeholder: 'label names, comma separated' })}
            </div>
            <label for="filter-resource">Resource</label>
            <div>
              <select id="filter-resource" aria-label="Resource filter" @change=${(e: Event) => this.set('resource', (e.target as HTMLSelectElement).value)}>
                <option value="" ?selected=${f.resource === ''}>All</option>
                <option value="image" ?selected=${f.resource === 'image'}>image</option>
                <option value="artifact" ?selected=${f.resource === 'artifact'}>artifact</option>
              </select>
            </div>
          </div>
          <div class="hint" id="pattern-hint">
            Patterns: <code>*</code> within one path level, <code>**</code> across levels, <code>?</code> one
            character, <code>{a,b}</code> alternatives.
          </div>
        </fieldset>

        ${push
          ? html`<label for="dest-registry" class="field-label">
                Destination registry ${requiredMark}
              </label>
              ${this.registrySelect('dest-registry', 'destRegistryId', !!problems.registry)}
              ${fieldError('registry-error', problems.registry)}`
          : nothing}

        <fieldset>
          <legend class="field-label">Destination</legend>
          <div class="filters">
            <label for="dest-namespace">Namespace</label>
            <div>${this.text('dest-namespace', 'destNamespace', { placeholder: 'empty: the same as the source' })}</div>
            <label for="flattening">Flattening</label>
            <div>
              <select id="flattening" @change=${(e: Event) => this.set('flattening', Number((e.target as HTMLSelectElement).value))}>
                ${kFlattening.map((o) => html`<option value=${o.value} ?selected=${o.value === f.flattening}>${o.label}</option>`)}
              </select>
            </div>
          </div>
          <div class="hint">
            With a namespace, flattening drops that many path levels of the source before the image name:
            a/b/c/image into ns with 1 level is ns/b/c/image; all levels gives ns/image.
          </div>
        </fieldset>

        <label for="trigger" class="field-label">Trigger Mode</label>
        <select id="trigger" @change=${(e: Event) => this.set('trigger', (e.target as HTMLSelectElement).value)}>
          <option value="manual" ?selected=${f.trigger === 'manual'}>Manual</option>
          <option value="scheduled" ?selected=${f.trigger === 'scheduled'}>Scheduled</option>
          ${push ? html`<option value="event_based" ?selected=${f.trigger === 'event_based'}>Event Based</option>` : nothing}
        </select>
        ${f.trigger === 'scheduled'
          ? html`<label for="cron" class="field-label">Cron String ${requiredMark}</label>
              ${this.text('cron', 'cron', {
                placeholder: '0 0 2 * * *',
                describedby: problems.cron ? 'cron-error cron-hint' : 'cron-hint',
                invalid: problems.cron ? 'true' : 'false',
              })}
              ${fieldError('cron-error', problems.cron)}
              <div class="hint" id="cron-hint">
                Six fields: seconds minutes hours day-of-month month day-of-week, e.g. <code>0 0 2 * * *</code> every
                day at 02:00. The seconds field must be 0.
              </div>`
          : nothing}
        ${f.trigger === 'event_based'
          ? html`<div class="hint">Runs when an artifact is pushed to or deleted from this Berth.</div>`
          : nothing}

        <label for="speed" class="field-label">Bandwidth</label>
        <div class="pair">
          <input
            id="speed"
            type="text"
            inputmode="numeric"
            aria-describedby=${problems.speed ? 'speed-error speed-hint' : 'speed-hint'}
            aria-invalid=${problems.speed ? 'true' : 'false'}
            .value=${f.speed}
            @input=${(e: InputEvent) => this.set('speed', (e.target as HTMLInputElement).value)}
          />
          <select
            id="speed-unit"
            class="unit"
            aria-label="Bandwidth unit"
            @change=${(e: Event) => this.set('speedUnit', (e.target as HTMLSelectElement).value as 'Kbps' | 'Mbps')}
          >
            <option value="Kbps" ?selected=${f.speedUnit === 'Kbps'}>Kbps</option>
            <option value="Mbps" ?selected=${f.speedUnit === 'Mbps'}>Mbps</option>
          </select>
        </div>
        ${fieldError('speed-error', problems.speed)}
        <div class="hint" id="speed-hint">-1 for unlimited; the limit applies to the whole execution.</div>

        <div class="switches">
          ${this.check('override', 'override', 'Override', 'Replace an artifact that already exists at the destination under the same name.')}
          ${push
            ? this.check('deletion', 'deletion', 'Delete remote resources when locally deleted')
            : nothing}
          ${this.check('copy-by-chunk', 'copyByChunk', 'Copy by chunk')}
          ${f.trigger === 'event_based'
            ? nothing
            : this.check(
                'single-active',
                'singleActive',
                'Single active replication',
                'Do not start an execution of this rule while another one is still running.',
              )}
          ${this.check('enabled', 'enabled', 'Enable rule')}
        </div>
      `,
    });
  }

  static override styles = [
    ...formDialogStyles,
    css`
      dialog {
        width: min(42rem, calc(100vw - 1.5rem));
        max-height: calc(100vh - 2rem);
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      fieldset {
        border: none;
        padding: 0;
        margin: 0;
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      legend {
        padding: 0;
      }
      legend.field-label {
        margin-bottom: 0.35rem;
      }
      .row {
        display: flex;
        gap: 1.5rem;
        flex-wrap: wrap;
      }
      .filters {
        display: grid;
        grid-template-columns: 7rem 1fr;
        gap: 0.4rem 0.75rem;
        align-items: center;
        font-size: 0.85rem;
      }
      .pair {
        display: flex;
        gap: 0.5rem;
      }
      .pair select.decoration,
      .pair select.unit {
        width: auto;
        flex: none;
      }
      .switches {
        margin-top: 0.75rem;
        display: flex;
        flex-direction: column;
        gap: 0.35rem;
      }
      .hint.indent {
        margin-left: 1.6rem;
      }
      @media (max-width: 560px) {
        .filters {
          grid-template-columns: 1fr;
        }
      }
    `,
  ];
}

customElements.define('berth-rule-dialog', RuleDialog);
