import { Suspense, lazy, type ComponentType, type ReactElement } from 'react';
import { Loading } from '../components/ui';
import type { Viewer } from '../api/viewer';
import type { Permission } from '../api/types';
import { AuditPage } from './Audit';
import { GroupsPage } from './Groups';
import { PlansPage } from './Plans';
import { ProfilePage } from './Profile';
import { SettingsPage } from './Settings';
import { UserCreatePage } from './UserCreate';
import { UserPage } from './User';
import { UsersPage } from './Users';

/** A page loaded when first opened, so the first load stays small. */
function later(load: () => Promise<ComponentType>): ReactElement {
  const Page = lazy(async () => ({ default: await load() }));
  return (
    <Suspense fallback={<Loading />}>
      <Page />
    </Suspense>
  );
}

/**
 * Every page of a tenant, with what the viewer needs to see it. A page the viewer may not use
 * is neither routed nor shown in the navigation. A new area (webhooks, an import) is one more
 * entry here and one page component.
 */
export interface PageDef {
  path: string;
  /** Shown in the navigation when set. */
  label?: string;
  needs: Permission | 'user';
  element: ReactElement;
}

const PAGES: PageDef[] = [
  { path: '/users', label: 'Users', needs: 'users:read', element: <UsersPage /> },
  { path: '/users/new', needs: 'users:write', element: <UserCreatePage /> },
  { path: '/users/:id', needs: 'users:read', element: <UserPage /> },
  { path: '/groups', label: 'Groups', needs: 'groups:read', element: <GroupsPage /> },
  { path: '/plans', label: 'Plans', needs: 'plans:read', element: <PlansPage /> },
  { path: '/users/import', needs: 'users:write', element: later(() => import('./Import').then((m) => m.ImportPage)) },
  { path: '/webhooks', label: 'Webhooks', needs: 'webhooks:read', element: later(() => import('./Webhooks').then((m) => m.WebhooksPage)) },
  { path: '/webhooks/:id', needs: 'webhooks:read', element: later(() => import('./Webhooks').then((m) => m.WebhookPage)) },
  { path: '/audit', label: 'Audit log', needs: 'audit:read', element: <AuditPage /> },
  { path: '/settings', label: 'Tenant settings', needs: 'tenant:read', element: <SettingsPage /> },
  { path: '/profile', label: 'My account', needs: 'user', element: <ProfilePage /> },
];

export function pagesFor(viewer: Viewer): (PageDef & { nav: boolean })[] {
  return PAGES.filter((page) => (page.needs === 'user' ? viewer.kind === 'user' : viewer.can(page.needs))).map((page) => ({
    ...page,
    nav: page.label !== undefined,
  }));
}
