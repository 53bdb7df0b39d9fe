// The footer of a paged list: page size, "first - last of total items", previous/next.
import { html } from 'lit';

export const kPageSizes = [15, 25, 50, 100];

export interface PagerState {
  page: number;
  pageSize: number;
  total: number;
}

export function pager(state: PagerState, go: (page: number, pageSize: number) => void) {
  const { page, pageSize, total } = state;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return html`<div class="pager">
    <label>
      Page size
      <select @change=${(e: Event) => go(1, Number((e.target as HTMLSelectElement).value))}>
        ${kPageSizes.map((n) => html`<option value=${n} ?selected=${n === pageSize}>${n}</option>`)}
      </select>
    </label>
    <span class="count" data-testid="item-count">${first} - ${last} of ${total} items</span>
    <button class="link" aria-label="Previous page" ?disabled=${page <= 1} @click=${() => go(page - 1, pageSize)}>
      ‹
    </button>
    <span>${page} / ${pages}</span>
    <button class="link" aria-label="Next page" ?disabled=${page >= pages} @click=${() => go(page + 1, pageSize)}>
      ›
    </button>
  </div>`;
}
