import { css } from 'lit';

// Shared look: buttons, form fields, tables and alerts in the spirit of Harbor's UI.
export const shared = css`
  :host {
    --berth-blue: #0072a3;
    --berth-blue-dark: #004a70;
    --berth-border: #ccc;
    --berth-muted: #565656;
    --berth-danger: #c21d00;
    --berth-success: #2e8500;
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  h1 {
    font-size: 1.6rem;
    font-weight: 400;
    margin: 0 0 1rem;
  }
  button {
    font: inherit;
    font-size: 0.75rem;
    font-weight: 600;
    letter-spacing: 0.07em;
    text-transform: uppercase;
    min-height: 2.25rem;
    padding: 0 0.9rem;
    border-radius: 3px;
    border: 1px solid var(--berth-blue);
    background: #fff;
    color: var(--berth-blue);
    cursor: pointer;
  }
  button:hover:not(:disabled) {
    background: #e1f1f6;
  }
  button.primary {
    background: var(--berth-blue);
    color: #fff;
  }
  button.primary:hover:not(:disabled) {
    background: var(--berth-blue-dark);
  }
  button.danger {
    border-color: var(--berth-danger);
    color: var(--berth-danger);
  }
  button.danger.primary {
    background: var(--berth-danger);
    color: #fff;
  }
  button.link {
    border: none;
    background: none;
    padding: 0 0.4rem;
  }
  button:disabled {
    cursor: not-allowed;
    opacity: 0.45;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible,
  textarea:focus-visible,
  a:focus-visible {
    outline: 2px solid #49afd9;
    outline-offset: 1px;
  }
  input[type='text'],
  input[type='password'],
  input[type='search'],
  input[type='url'],
  select,
  textarea {
    font: inherit;
    font-size: 0.9rem;
    padding: 0.35rem 0.5rem;
    border: 1px solid var(--berth-border);
    border-radius: 3px;
    background: #fff;
    color: inherit;
    width: 100%;
  }
  input:disabled,
  select:disabled,
  textarea:disabled,
  input[readonly] {
    background: #f2f2f2;
    color: var(--berth-muted);
  }
  textarea {
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.8rem;
    min-height: 6rem;
    resize: vertical;
  }
  .alert {
    border-radius: 3px;
    padding: 0.55rem 0.8rem;
    margin: 0 0 1rem;
    font-size: 0.9rem;
    display: flex;
    gap: 0.6rem;
    align-items: flex-start;
    overflow-wrap: anywhere;
  }
  .alert.error {
    background: #f5dbd9;
    border: 1px solid #e12200;
    color: #6a1200;
  }
  .alert.success {
    background: #dff0d0;
    border: 1px solid #60b515;
    color: #1d5100;
  }
  .alert.info {
    background: #e1f1f6;
    border: 1px solid #49afd9;
    color: #004a70;
  }
  .alert button.link {
    min-height: 0;
  }
  .alert .grow {
    flex: 1;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    background: #fff;
    border: 1px solid var(--berth-border);
    font-size: 0.85rem;
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem 0.6rem;
    border-bottom: 1px solid #e8e8e8;
    vertical-align: top;
  }
  th {
    font-weight: 600;
    background: #fafafa;
    white-space: nowrap;
  }
  tbody tr:hover {
    background: #f3f8fb;
  }
  tbody tr.selected {
    background: #d9e4ea;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
    margin-bottom: 0.75rem;
  }
  .toolbar input[type='search'] {
    width: 14rem;
  }
  .spacer {
    flex: 1;
  }
  .table-wrap {
    overflow-x: auto;
  }
  tbody tr.selectable {
    cursor: pointer;
  }
  td.empty {
    text-align: center;
    color: var(--berth-muted);
    padding: 2rem;
  }
  .pager {
    display: flex;
    justify-content: flex-end;
    align-items: center;
    gap: 0.75rem;
    font-size: 0.8rem;
    padding: 0.5rem 0;
    flex-wrap: wrap;
  }
  .pager select {
    width: auto;
    padding: 0.15rem 0.3rem;
  }
  .pager button {
    font-size: 1.1rem;
    min-height: 1.8rem;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
