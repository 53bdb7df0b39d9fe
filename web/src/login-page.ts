// The sign-in page: a Berth user name and password, checked against the API.
import { LitElement, css, html, nothing } from 'lit';

import { ApiError, signIn } from './api';
import { shared } from './styles';

export class LoginPage extends LitElement {
  static override properties = {
    username: { state: true },
    password: { state: true },
    busy: { state: true },
    error: { state: true },
    notice: { attribute: false },
  };

  declare username: string;
  declare password: string;
  declare busy: boolean;
  declare error: string;
  declare notice: string; // why the user is here again (a session that ended), or ''

  constructor() {
    super();
    this.username = '';
    this.password = '';
    this.busy = false;
    this.error = '';
    this.notice = '';
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (!this.username || !this.password || this.busy) return;
    this.busy = true;
    this.error = '';
    try {
      const session = await signIn(this.username, this.password);
      this.dispatchEvent(new CustomEvent('signed-in', { detail: session, bubbles: true, composed: true }));
    } catch (err) {
      this.error =
        err instanceof ApiError && err.status === 401
          ? 'Invalid user name or password.'
          : `Cannot sign in: ${(err as Error).message}`;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    return html`
      <div class="card">
        <div class="title">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <h1>Berth</h1>
        </div>
        <form @submit=${this.submit} aria-label="Sign in">
          ${this.error
            ? html`<div class="alert error" role="alert">${this.error}</div>`
            : this.notice
              ? html`<div class="alert info" role="status" data-testid="sign-in-notice">${this.notice}</div>`
              : nothing}
          <label for="username">Username</label>
          <input
            id="username"
            name="username"
            type="text"
            autocomplete="username"
            autofocus
            required
            .value=${this.username}
            @input=${(e: InputEvent) => (this.username = (e.target as HTMLInputElement).value)}
          />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            .value=${this.password}
            @input=${(e: InputEvent) => (this.password = (e.target as HTMLInputElement).value)}
          />
          <button class="primary" type="submit" ?disabled=${!this.username || !this.password || this.busy}>
            ${this.busy ? 'Logging in…' : 'Log In'}
          </button>
        </form>
      </div>
    `;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: flex;
        align-items: center;
        justify-content: center;
        min-height: 100vh;
        background: linear-gradient(135deg, #0d5c8c, #1b3b52);
        padding: 1rem;
      }
      .card {
        background: #fff;
        border-radius: 6px;
        padding: 2rem 2.25rem;
        width: 100%;
        max-width: 24rem;
        box-shadow: 0 8px 30px rgba(0, 0, 0, 0.25);
      }
      .title {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        margin-bottom: 1.25rem;
      }
      .title h1 {
        margin: 0;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 0.4rem;
      }
      label {
        font-size: 0.8rem;
        font-weight: 600;
        margin-top: 0.5rem;
      }
      button {
        margin-top: 1.25rem;
      }
    `,
  ];
}

customElements.define('berth-login-page', LoginPage);
