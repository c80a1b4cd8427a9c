import { Refine, useCustom } from '@refinedev/core';
import { useMemo, useSyncExternalStore } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { createAccessControl, createAuthProvider } from './api/auth-provider';
import { createDataProvider } from './api/data-provider';
import { api } from './api/client';
import { session, type Credentials } from './api/session';
import type { User } from './api/types';
import { ViewerProvider, viewerOf, type Viewer } from './api/viewer';
import { Layout } from './components/Layout';
import { ErrorNotice, Loading } from './components/ui';
import { ForcedSteps } from './pages/ForcedSteps';
import { pagesFor } from './pages/registry';
import { SignIn } from './pages/SignIn';
import { TenantsPage } from './pages/Tenants';

const dataProvider = createDataProvider(api);
const authProvider = createAuthProvider(session, api);
let currentViewer: Viewer | null = null;
const accessControlProvider = createAccessControl(() => currentViewer);

/** The signed-in part: who the viewer is (from /me), then the pages they may use. */
function SignedIn({ credentials }: { credentials: Credentials }) {
  const isUser = credentials.kind === 'user';
  const me = useCustom<User>({ url: '/me', method: 'get', queryOptions: { enabled: isUser, retry: false } });
  const viewer: Viewer | null = useMemo(() => {
    if (!isUser) return viewerOf('operator', null);
    return me.result.data && 'id' in me.result.data ? viewerOf('user', me.result.data) : null;
  }, [isUser, me.result.data]);

  if (!viewer) {
    return me.query.error ? (
      <main className="signin" id="main">
        <ErrorNotice error={me.query.error} />
      </main>
    ) : (
      <Loading />
    );
  }

  currentViewer = viewer;
  const operatorWithoutTenant = credentials.kind === 'operator' && !credentials.tenantId;
  const pages = operatorWithoutTenant ? [] : pagesFor(viewer);
  const home = pages.find((p) => p.nav)?.path ?? (credentials.kind === 'operator' ? '/tenants' : '/profile');
  return (
    <ViewerProvider viewer={viewer}>
      <Layout pages={pages} credentials={credentials}>
        <Routes>
          {pages.map((page) => (
            <Route key={page.path} path={page.path} element={page.element} />
          ))}
          {credentials.kind === 'operator' && <Route path="/tenants" element={<TenantsPage />} />}
          <Route path="*" element={<Navigate to={home} replace />} />
        </Routes>
      </Layout>
    </ViewerProvider>
  );
}

function Gate() {
  const state = useSyncExternalStore(session.subscribe, session.getState);
  if (state.status === 'restoring') return <Loading label="Restoring your session…" />;
  if (state.status === 'signed-out' || !state.credentials) return <SignIn notice={state.notice} />;
  const credentials = state.credentials;
  if (credentials.kind === 'user' && (credentials.restriction.password || credentials.restriction.tfa)) {
    return <ForcedSteps restriction={credentials.restriction} />;
  }
  // A new principal or tenant starts from an empty cache: nothing read for one is shown to another.
  const scope = credentials.kind === 'user' ? `user:${credentials.sessionId}` : `operator:${credentials.tenantId ?? ''}`;
  return (
    <Refine
      key={scope}
      dataProvider={dataProvider}
      authProvider={authProvider}
      accessControlProvider={accessControlProvider}
      options={{
        disableTelemetry: true,
        reactQuery: { clientConfig: { defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } } },
      }}
    >
      <SignedIn credentials={credentials} />
    </Refine>
  );
}

export function App() {
  return (
    <BrowserRouter basename="/console">
      <Gate />
    </BrowserRouter>
  );
}
