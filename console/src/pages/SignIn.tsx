import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/errors';
import { session } from '../api/session';
import { ErrorNotice, Notice, TextField, fieldError } from '../components/ui';

type Mode = 'user' | 'operator';

export function SignIn({ notice }: { notice: string | null }) {
  const [mode, setMode] = useState<Mode>('user');
  const [tenant, setTenant] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [needsOtp, setNeedsOtp] = useState(false);
  const [operatorKey, setOperatorKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'operator') {
        await session.signInOperator(operatorKey);
      } else {
        const second = needsOtp ? (useRecovery ? { recoveryCode: otp.trim() } : { otp: otp.trim() }) : {};
        await session.signIn({ tenant: tenant.trim(), email: email.trim(), password, ...second });
      }
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'otp_required') {
        setNeedsOtp(true);
      } else {
        setError(caught);
        if (needsOtp) setOtp('');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <h1>Identity console</h1>
      {notice && <Notice tone="warning">{notice}</Notice>}
      <div className="tabs" role="group" aria-label="Sign in as">
        <button type="button" aria-pressed={mode === 'user'} onClick={() => setMode('user')}>
          Tenant user
        </button>
        <button type="button" aria-pressed={mode === 'operator'} onClick={() => setMode('operator')}>
          Operator
        </button>
      </div>
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in" noValidate>
        {mode === 'user' ? (
          <>
            <TextField label="Tenant" name="tenant" value={tenant} onChange={setTenant} required autoComplete="organization" hint="The tenant's slug" error={fieldError(error, 'tenant')} />
            <TextField label="Email" name="email" type="email" value={email} onChange={setEmail} required autoComplete="username" error={fieldError(error, 'email')} />
            <TextField label="Password" name="password" type="password" value={password} onChange={setPassword} required autoComplete="current-password" error={fieldError(error, 'password')} />
            {needsOtp && (
              <>
                <Notice>Enter the code from your authenticator app.</Notice>
                <TextField
                  label={useRecovery ? 'Recovery code' : 'One-time code'}
                  name="otp"
                  value={otp}
                  onChange={setOtp}
                  required
                  inputMode={useRecovery ? 'text' : 'numeric'}
                  autoComplete="one-time-code"
                  error={fieldError(error, useRecovery ? 'recoveryCode' : 'otp')}
                />
                <button type="button" className="link" onClick={() => setUseRecovery(!useRecovery)}>
                  {useRecovery ? 'Use a one-time code instead' : 'Use a recovery code instead'}
                </button>
              </>
            )}
          </>
        ) : (
          <TextField
            label="Operator key"
            name="operatorKey"
            type="password"
            value={operatorKey}
            onChange={setOperatorKey}
            required
            hint="Kept in this page's memory only: a reload asks for it again."
          />
        )}
        <ErrorNotice error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
