// What the modal dialogs share: opening and closing their <dialog>, the look of its frame,
// and for the form dialogs the saving state, the server's refusal, the Cancel / OK row and
// the marks of a form row (the required star, a field's error).
import { LitElement, css, html, nothing, type PropertyDeclarations } from 'lit';

import { errorText } from './format';
import { shared } from './styles';

// The frame of a modal <dialog> and the shade behind it.
export const modalStyles = css`
  dialog {
    border: none;
    border-radius: 4px;
    box-shadow: 0 10px 40px rgba(0, 0, 0, 0.35);
  }
  dialog::backdrop {
    background: rgba(0, 0, 0, 0.45);
  }
`;

// A form inside the frame: heading, labels, hints, errors, check boxes and the button row.
export const formDialogStyles = [
  shared,
  modalStyles,
  css`
    dialog {
      padding: 0;
    }
    form {
      padding: 1.25rem 1.5rem;
    }
    h2 {
      font-size: 1.3rem;
      font-weight: 400;
      margin: 0 0 0.75rem;
    }
    .field-label {
      font-size: 0.85rem;
      font-weight: 600;
      margin-top: 0.6rem;
    }
    .req {
      color: var(--berth-danger);
    }
    .check {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      font-size: 0.9rem;
    }
    .hint {
      font-size: 0.75rem;
      color: var(--berth-muted);
    }
    .field-error {
      font-size: 0.75rem;
      color: var(--berth-danger);
    }
    input[aria-invalid='true'],
    select[aria-invalid='true'] {
      border-color: var(--berth-danger);
    }
    /* A form taller than the window scrolls inside the dialog; its buttons stay in view. */
    .buttons {
      display: flex;
      justify-content: flex-end;
      gap: 0.5rem;
      margin-top: 1.25rem;
      position: sticky;
      bottom: -1.25rem;
      padding: 0.75rem 0 1.25rem;
      margin-bottom: -1.25rem;
      background: #fff;
      border-top: 1px solid var(--berth-border);
    }
  `,
];

// The star after the label of a required field.
export const requiredMark = html`<span class="req" aria-hidden="true">*</span>`;

// A field's problem under it, announced; nothing while there is none.
export function fieldError(id: string, message: string | undefined) {
  return message ? html`<div class="field-error" id=${id} role="alert">${message}</div>` : nothing;
}

export interface FormFrame {
  titleId: string; // the heading's id, which names the dialog
  title: string;
  body: unknown; // the fields
  okLabel: string;
  valid: boolean;
  lead?: unknown; // buttons before Cancel
  errorTestId?: string;
  onClose?: () => void;
}

// An element whose shadow root holds one <dialog>.
export abstract class ModalElement extends LitElement {
  protected get dialog(): HTMLDialogElement {
    return this.renderRoot.querySelector('dialog') as HTMLDialogElement;
  }

  // Shows the dialog once rendered, with the focus on the element `focus` selects.
  protected async show(focus: string): Promise<void> {
    await this.updateComplete;
    this.dialog.showModal();
    this.renderRoot.querySelector<HTMLElement>(focus)?.focus();
  }

  close(): void {
    (this.renderRoot.querySelector('dialog') as HTMLDialogElement | null)?.close();
  }
}

// A dialog around a form that is sent to the server: while it is sent the submit button
// waits; a refusal stays open with the server's reason at the top; a success closes the
// dialog and fires `saved` with the name of what was saved.
export abstract class FormDialog extends ModalElement {
  static override properties: PropertyDeclarations = {
    saving: { state: true },
    error: { state: true },
  };

  declare saving: boolean;
  declare error: string;

  constructor() {
    super();
    this.saving = false;
    this.error = '';
  }

  // True when `send` succeeded (and the dialog closed).
  protected async submit(name: string, send: () => Promise<unknown>): Promise<boolean> {
    this.saving = true;
    this.error = '';
    try {
      await send();
      this.close();
      this.dispatchEvent(new CustomEvent('saved', { detail: { name }, bubbles: true, composed: true }));
      return true;
    } catch (err) {
      // The server's sentence, after a lead-in that says what failed, scrolled into view.
      this.error = `Cannot save: ${errorText(err)}`;
      await this.updateComplete;
      this.renderRoot.querySelector('form > .alert.error')?.scrollIntoView({ block: 'nearest' });
      return false;
    } finally {
      this.saving = false;
    }
  }

  // Sends the form (a submit event); the subclass checks it and calls submit().
  protected abstract save(e: Event): Promise<void>;

  // The dialog around a form: heading, the server's refusal, the fields, then Cancel and
  // the submit button (`okLabel`, waiting while invalid or sending), after `lead`.
  protected frame(f: FormFrame) {
    return html`
      <dialog aria-labelledby=${f.titleId} @close=${f.onClose ?? nothing}>
        <form @submit=${(e: Event) => this.save(e)} novalidate>
          <h2 id=${f.titleId}>${f.title}</h2>
          ${this.error
            ? html`<div class="alert error" role="alert" data-testid=${f.errorTestId ?? nothing}>${this.error}</div>`
            : nothing}
          ${f.body}
          <div class="buttons">
            ${f.lead ?? nothing}
            <button type="button" @click=${() => this.close()}>Cancel</button>
            <button type="submit" class="primary" ?disabled=${!f.valid || this.saving}>${f.okLabel}</button>
          </div>
        </form>
      </dialog>
    `;
  }
}
