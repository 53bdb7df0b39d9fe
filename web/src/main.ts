// The application shell: sign-in, the top bar, the left navigation and client-side
// routing over the History API (berth serve answers every non-API path with index.html).
import { LitElement, css, html, nothing } from 'lit';

import { clearSession, currentSession, kSessionExpired, type Session } from './api';
import './login-page';
import './projects-page';
import './registries-page';
import './replications-page';
import { shared } from './styles';

export const kSignInPath = '/account/sign-in';
const kHome = '/harbor/projects';

interface NavItem {
  path: string;
  label: string;
}

const kProjects: NavItem = { path: '/harbor/projects', label: 'Projects' };
const kAdministration: NavItem[] = [
  { path: '/harbor/registries', label: 'Registries' },
  { path: '/harbor/replications', label: 'Replications' },
];

// Navigates inside the app without reloading the page.
export function navigate(path: string): void {
  if (location.pathname !== path) history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export class BerthApp extends LitElement {
  static override properties = {
    path: { state: true },
    session: { state: true },
    navOpen: { state: true },
    expired: { state: true },
  };

  declare path: string;
  declare session: Session | null;
  declare navOpen: boolean;
  declare expired: boolean; // signed out by a refused call, not by Log Out

  constructor() {
    super();
    this.path = location.pathname;
    this.session = currentSession();
    this.navOpen = false;
    this.expired = false;
  }

  private readonly onPopState = () => {
    this.path = location.pathname;
    this.session = currentSession();
    this.navOpen = false;
  };

  private readonly onExpired = () => {
    this.session = null;
    this.expired = true;
    this.goSignIn();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPopState);
    window.addEventListener(kSessionExpired, this.onExpired);
    window.addEventListener('keydown', this.onKeyDown);
    this.route();
  }

  override disconnectedCallback(): void {
    window.removeEventListener('popstate', this.onPopState);
    window.removeEventListener(kSessionExpired, this.onExpired);
    window.removeEventListener('keydown', this.onKeyDown);
    super.disconnectedCallback();
  }

  override willUpdate(): void {
    this.route();
  }

  // Redirects: no session → sign-in (remembering where to go); "/" → home. The browser
  // tab names the page.
  private route(): void {
    if (!this.session && this.path !== kSignInPath) {
      this.goSignIn();
    } else if (this.session && (this.path === '/' || this.path === kSignInPath)) {
      history.replaceState(null, '', kHome);
      this.path = kHome;
    }
    const page = [kProjects, ...kAdministration].find((item) => item.path === this.path);
    document.title = this.path === kSignInPath ? 'Sign in - Berth' : page ? `${page.label} - Berth` : 'Berth';
  }

  // Escape closes the navigation drawer of a narrow window, as a click on its scrim does.
  private readonly onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && this.navOpen) this.navOpen = false;
  };

  private goSignIn(): void {
    const back = location.pathname === kSignInPath ? '' : location.pathname + location.search;
    const target = back && back !== '/' ? `${kSignInPath}?redirect_url=${encodeURIComponent(back)}` : kSignInPath;
    history.replaceState(null, '', target);
    this.path = kSignInPath;
  }

  private signedIn(e: CustomEvent<Session>): void {
    this.session = e.detail;
    this.expired = false;
    const redirect = new URLSearchParams(location.search).get('redirect_url');
    const target = redirect && redirect.startsWith('/') && !redirect.startsWith('//') ? redirect : kHome;
    history.replaceState(null, '', target);
    this.path = new URL(target, location.origin).pathname;
  }

  private logOut(): void {
    clearSession();
    this.session = null;
    this.expired = false;
    history.replaceState(null, '', kSignInPath);
    this.path = kSignInPath;
  }

  private link(item: NavItem) {
    const active = this.path === item.path || this.path.startsWith(item.path + '/');
    return html`<a
      href=${item.path}
      class=${active ? 'active' : ''}
      aria-current=${active ? 'page' : 'false'}
      @click=${(e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(item.path);
      }}
      >${item.label}</a
    >`;
  }

  private page() {
    switch (this.path) {
      case '/harbor/projects':
        return html`<berth-projects-page></berth-projects-page>`;
      case '/harbor/registries':
        return html`<berth-registries-page></berth-registries-page>`;
      case '/harbor/replications':
        return html`<berth-replications-page></berth-replications-page>`;
      default:
        return html`<h1>Page not found</h1>
          <p>There is no page at <code>${this.path}</code>.</p>`;
    }
  }

  override render() {
    if (!this.session || this.path === kSignInPath) {
      const notice = this.expired
        ? 'Your session has ended (the password changed, or the account was removed or disabled): sign in again.'
        : '';
      return html`<berth-login-page .notice=${notice} @signed-in=${this.signedIn}></berth-login-page>`;
    }
    return html`
      <header>
        <button
          class="menu link"
          aria-label="Navigation"
          aria-expanded=${this.navOpen ? 'true' : 'false'}
          aria-controls="nav"
          @click=${() => (this.navOpen = !this.navOpen)}
        >
          ☰
        </button>
        <a class="brand" href=${kHome} @click=${(e: Event) => (e.preventDefault(), navigate(kHome))}>
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>Berth</span>
        </a>
        <span class="spacer"></span>
        <span class="user" title="Signed in as ${this.session.username}">
          <svg aria-hidden="true" viewBox="0 0 16 16" width="16" height="16">
            <circle cx="8" cy="5" r="3" fill="currentColor" />
            <path d="M2 15c0-3.3 2.7-5.5 6-5.5s6 2.2 6 5.5z" fill="currentColor" />
          </svg>
          <span data-testid="current-user">${this.session.username}</span>
        </span>
        <button class="logout" @click=${this.logOut}>Log Out</button>
      </header>
      <div class="body">
        <nav id="nav" aria-label="Main" class=${this.navOpen ? 'open' : ''}>
          ${this.link(kProjects)}
          <div class="group" role="group" aria-labelledby="admin-label">
            <div id="admin-label" class="group-label">Administration</div>
            ${kAdministration.map((item) => this.link(item))}
          </div>
        </nav>
        <main>${this.page()}</main>
      </div>
      ${this.navOpen ? html`<div class="scrim" @click=${() => (this.navOpen = false)}></div>` : nothing}
    `;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 100vh;
      }
      header {
        display: flex;
        align-items: center;
        gap: 0.75rem;
        height: 3.5rem;
        padding: 0 1rem;
        background: #0d5c8c;
        color: #fff;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 0.5rem;
        color: #fff;
        text-decoration: none;
        font-size: 1.25rem;
      }
      .spacer {
        flex: 1;
      }
      .user {
        font-size: 0.9rem;
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
      }
      header button {
        color: #fff;
        border-color: rgba(255, 255, 255, 0.6);
        background: transparent;
      }
      header button:hover:not(:disabled) {
        background: rgba(255, 255, 255, 0.15);
      }
      .menu {
        display: none;
        font-size: 1.3rem;
      }
      .body {
        flex: 1;
        display: flex;
        min-height: 0;
      }
      nav {
        width: 13rem;
        flex: none;
        background: #eee;
        border-right: 1px solid #ddd;
        padding: 1rem 0;
      }
      nav a {
        display: block;
        padding: 0.45rem 1.2rem;
        color: #333;
        text-decoration: none;
        font-size: 0.9rem;
      }
      nav a:hover {
        background: #e0e0e0;
      }
      nav a.active {
        background: #fff;
        color: var(--berth-blue);
        font-weight: 600;
        border-left: 3px solid var(--berth-blue);
        padding-left: calc(1.2rem - 3px);
      }
      .group {
        margin-top: 0.75rem;
      }
      .group-label {
        padding: 0.45rem 1.2rem;
        font-size: 0.75rem;
        font-weight: 600;
        text-transform: uppercase;
        letter-spacing: 0.06em;
        color: var(--berth-muted);
      }
      .group a {
        padding-left: 2rem;
      }
      .group a.active {
        padding-left: calc(2rem - 3px);
      }
      main {
        flex: 1;
        min-width: 0;
        padding: 1.5rem 2rem;
        overflow: auto;
      }
      @media (max-width: 760px) {
        .menu {
          display: inline-block;
        }
        .user {
          display: none;
        }
        nav {
          position: fixed;
          top: 3.5rem;
          bottom: 0;
          left: 0;
          z-index: 20;
          transform: translateX(-100%);
          transition: transform 0.15s;
          visibility: hidden;
        }
        nav.open {
          transform: none;
          visibility: visible;
        }
        .scrim {
          position: fixed;
          inset: 3.5rem 0 0 0;
          background: rgba(0, 0, 0, 0.3);
          z-index: 10;
        }
        main {
          padding: 1rem;
        }
      }
    `,
  ];
}

customElements.define('berth-app', BerthApp);
