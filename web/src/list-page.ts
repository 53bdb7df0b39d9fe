// The frame the paged list pages (Projects, Registries, Replications) share: the list's
// state, loading a page filtered by name (the newest answer wins), the selected row, the
// notice above the list, and the heading, toolbar, table and pager around the rows.
import { LitElement, css, html, nothing, type PropertyDeclarations, type TemplateResult } from 'lit';

import { call } from './api';
import { errorText } from './format';
import { kPageSizes, pager } from './pager';
import { shared } from './styles';

export interface Notice {
  kind: 'success' | 'error';
  text: string;
}

// What a page puts into the frame.
export interface ListView<T> {
  title: string;
  actions: TemplateResult; // the toolbar buttons before the filter box
  filterLabel: string; // the filter box's (screen-reader) label
  columns: string[];
  selectable?: boolean; // a first column of radio buttons (rows from selectableRow)
  tableLabel?: string;
  tableClass?: string;
  row: (item: T) => TemplateResult;
}

const kFilterDelayMs = 250;

export abstract class ListPage<T extends { name: string }> extends LitElement {
  static override properties: PropertyDeclarations = {
    items: { state: true },
    total: { state: true },
    page: { state: true },
    pageSize: { state: true },
    filter: { state: true },
    selectedId: { state: true },
    loading: { state: true },
    notice: { state: true },
  };

  declare items: T[];
  declare total: number;
  declare page: number;
  declare pageSize: number;
  declare filter: string;
  declare selectedId: number | null;
  declare loading: boolean;
  declare notice: Notice | null;
  private filterTimer = 0;
  private loadSeq = 0;

  // The items in the plural ("projects"), for the empty list and the failure to list.
  protected abstract readonly noun: string;
  // The path of one page of items whose name matches `name` (empty: all).
  protected abstract listPath(name: string): string;
  // The id an item is selected by.
  protected abstract keyOf(item: T): number;

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
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    window.clearTimeout(this.filterTimer);
    super.disconnectedCallback();
  }

  protected async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const response = await call<T[]>('GET', this.listPath(this.filter.trim()));
      if (seq !== this.loadSeq) return;
      this.items = response.data ?? [];
      this.total = Number(response.headers.get('X-Total-Count') ?? this.items.length);
      // The page emptied under us (the last items went): show the new last page.
      if (this.items.length === 0 && this.page > 1 && this.total > 0) {
        this.page = Math.max(1, Math.ceil(this.total / this.pageSize));
        void this.load();
        return;
      }
      if (this.selectedId !== null && !this.items.some((i) => this.keyOf(i) === this.selectedId)) this.select(null);
      // A list that loads again clears the complaint that it could not.
      if (this.notice?.kind === 'error' && this.notice.text.startsWith(this.listErrorPrefix)) this.notice = null;
    } catch (err) {
      if (seq !== this.loadSeq) return;
      this.notice = { kind: 'error', text: `${this.listErrorPrefix}${errorText(err)}` };
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  private get listErrorPrefix(): string {
    return `Cannot list the ${this.noun}: `;
  }

  protected get selected(): T | undefined {
    return this.items.find((i) => this.keyOf(i) === this.selectedId);
  }

  protected select(id: number | null): void {
    this.selectedId = id;
  }

  private onFilter(e: InputEvent): void {
    this.filter = (e.target as HTMLInputElement).value;
    window.clearTimeout(this.filterTimer);
    this.filterTimer = window.setTimeout(() => {
      this.page = 1;
      void this.load();
    }, kFilterDelayMs);
  }

  // A row chosen by its radio button (or a click anywhere on it); `cells` follow the radio.
  protected selectableRow(item: T, radioName: string, cells: TemplateResult) {
    const id = this.keyOf(item);
    return html`<tr
      class="selectable ${id === this.selectedId ? 'selected' : ''}"
      data-name=${item.name}
      @click=${() => this.select(id)}
    >
      <td>
        <input
          type="radio"
          name=${radioName}
          aria-label="Select ${item.name}"
          .checked=${id === this.selectedId}
          @change=${() => this.select(id)}
        />
      </td>
      ${cells}
    </tr>`;
  }

  // When an action's button went disabled under the keyboard focus (a deleted item, a
  // stopped run), the focus would drop to the page: it goes to the action's notice.
  protected override updated(changed: Map<PropertyKey, unknown>): void {
    super.updated(changed);
    if (!changed.has('notice') || !this.notice) return;
    let active: Element | null = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    if (active === null || active === document.body || (active as HTMLButtonElement).disabled) {
      this.renderRoot.querySelector<HTMLElement>('div.alert[data-notice]')?.focus();
    }
  }

  protected noticeBar() {
    const notice = this.notice;
    return notice
      ? html`<div
          class="alert ${notice.kind}"
          role=${notice.kind === 'error' ? 'alert' : 'status'}
          tabindex="-1"
          data-notice
        >
          <span class="grow" data-testid="notice">${notice.text}</span>
          <button class="link" aria-label="Dismiss" @click=${() => (this.notice = null)}>✕</button>
        </div>`
      : nothing;
  }

  protected listView(view: ListView<T>) {
    const columnCount = view.columns.length + (view.selectable ? 1 : 0);
    return html`
      <h1>${view.title}</h1>
      ${this.noticeBar()}
      <div class="toolbar">
        ${view.actions}
        <span class="spacer"></span>
        <label class="sr-only" for="filter">${view.filterLabel}</label>
        <input id="filter" type="search" placeholder="Filter by name" .value=${this.filter} @input=${this.onFilter} />
        <button class="link" aria-label="Refresh" title="Refresh" @click=${() => this.load()}>⟳</button>
      </div>
      <div class="table-wrap">
        <table
          class=${view.tableClass ?? nothing}
          aria-label=${view.tableLabel ?? nothing}
          aria-busy=${this.loading ? 'true' : 'false'}
        >
          <thead>
            <tr>
              ${view.selectable ? html`<th><span class="sr-only">Select</span></th>` : nothing}
              ${view.columns.map((c) => html`<th scope="col">${c}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${this.items.length === 0
              ? html`<tr>
                  <td colspan=${columnCount} class="empty">${this.loading ? 'Loading…' : `We couldn\u2019t find any ${this.noun}!`}</td>
                </tr>`
              : this.items.map(view.row)}
          </tbody>
        </table>
      </div>
      ${pager(this, (page, pageSize) => {
        this.page = page;
        this.pageSize = pageSize;
        void this.load();
      })}
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
