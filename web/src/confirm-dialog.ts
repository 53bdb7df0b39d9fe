// A modal yes/no question. `ask()` resolves true when the user confirms.
import { css, html } from 'lit';

import { ModalElement, modalStyles } from './dialog';
import { shared } from './styles';

export class ConfirmDialog extends ModalElement {
  static override properties = {
    heading: { state: true },
    message: { state: true },
    confirmLabel: { state: true },
    danger: { state: true },
  };

  declare heading: string;
  declare message: string;
  declare confirmLabel: string;
  declare danger: boolean;
  private resolve: ((ok: boolean) => void) | null = null;

  constructor() {
    super();
    this.heading = '';
    this.message = '';
    this.confirmLabel = 'Delete';
    this.danger = true;
  }

  // `danger` false shows the confirm button in the ordinary colour (Replicate, not Delete).
  async ask(heading: string, message: string, confirmLabel = 'Delete', danger = true): Promise<boolean> {
    this.heading = heading;
    this.message = message;
    this.confirmLabel = confirmLabel;
    this.danger = danger;
    await this.updateComplete;
    this.dialog.returnValue = '';
    await this.show('button.cancel');
    return new Promise((resolve) => (this.resolve = resolve));
  }

  private finish(ok: boolean): void {
    this.dialog.close(ok ? 'ok' : '');
  }

  private closed(e: Event): void {
    const ok = (e.target as HTMLDialogElement).returnValue === 'ok';
    this.resolve?.(ok);
    this.resolve = null;
  }

  override render() {
    return html`<dialog aria-labelledby="confirm-title" aria-describedby="confirm-message" @close=${this.closed}>
      <h2 id="confirm-title">${this.heading}</h2>
      <p id="confirm-message">${this.message}</p>
      <div class="buttons">
        <button class="cancel" @click=${() => this.finish(false)}>Cancel</button>
        <button class=${this.danger ? 'danger primary' : 'primary'} @click=${() => this.finish(true)}>${this.confirmLabel}</button>
      </div>
    </dialog>`;
  }

  static override styles = [
    shared,
    modalStyles,
    css`
      dialog {
        padding: 1.25rem 1.5rem;
        width: min(30rem, calc(100vw - 1.5rem));
      }
      h2 {
        font-size: 1.2rem;
        font-weight: 400;
        margin: 0 0 0.75rem;
      }
      p {
        overflow-wrap: anywhere;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 0.5rem;
      }
    `,
  ];
}

customElements.define('berth-confirm-dialog', ConfirmDialog);
