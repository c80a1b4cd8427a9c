import { useOne } from '@refinedev/core';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { session, type Credentials } from '../api/session';
import type { Tenant } from '../api/types';
import { useViewer } from '../api/viewer';

function TenantBadge({ tenantId }: { tenantId: string }) {
  const { result } = useOne<Tenant>({ resource: 'tenants', id: tenantId, queryOptions: { retry: false } });
  return <span data-testid="current-tenant">{result?.name ? `${result.name} (${result.slug})` : tenantId}</span>;
}

export function Layout({ pages, credentials, children }: { pages: { path: string; label?: string; nav: boolean }[]; credentials: Credentials; children: ReactNode }) {
  const viewer = useViewer();
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Identity console</span>
        <span className="who">
          {credentials.kind === 'operator' ? (
            <>
              Operator
              {credentials.tenantId && (
                <>
                  {' · '}
                  <TenantBadge tenantId={credentials.tenantId} />
                </>
              )}
            </>
          ) : (
            <>
              {viewer.me?.name} · {credentials.tenant}
            </>
          )}
        </span>
        <button type="button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul>
          {credentials.kind === 'operator' && (
            <li>
              <NavLink to="/tenants">Tenants</NavLink>
            </li>
          )}
          {pages
            .filter((p) => p.nav)
            .map((p) => (
              <li key={p.path}>
                <NavLink to={p.path}>{p.label}</NavLink>
              </li>
            ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
