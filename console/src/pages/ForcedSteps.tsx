import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { session, type Restriction } from '../api/session';
import { QrCode } from '../components/Qr';
import { ErrorNotice, Loading, Notice, TextField, fieldError } from '../components/ui';

/** A new password, as the API asks when `resetPassword` is set or from the profile page. */
export function ChangePassword({ onDone, forced }: { onDone: () => void; forced?: boolean }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = repeat !== '' && next !== repeat;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (mismatch) return;
    setBusy(true);
    setError(null);
    try {
      await api.post('/me/password', { currentPassword: current, newPassword: next });
      onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="password-title" noValidate>
      <h2 id="password-title">{forced ? 'Choose a new password' : 'Change password'}</h2>
      {forced && <Notice>Your administrator asks you to set a new password before you go on.</Notice>}
      <TextField label="Current password" type="password" value={current} onChange={setCurrent} autoComplete="current-password" required error={fieldError(error, 'currentPassword')} />
      <TextField label="New password" type="password" value={next} onChange={setNext} autoComplete="new-password" required error={fieldError(error, 'newPassword')} />
      <TextField label="Repeat the new password" type="password" value={repeat} onChange={setRepeat} autoComplete="new-password" required error={mismatch ? 'does not match the new password' : undefined} />
      <ErrorNotice error={error} />
      <button type="submit" className="primary" disabled={busy || mismatch || !next}>
        Save the new password
      </button>
    </form>
  );
}

/** TFA enrolment: the QR code of the otpauth URL, a code to confirm, then the recovery codes once. */
export function EnrolTfa({ onDone, forced }: { onDone: () => void; forced?: boolean }) {
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUrl: string } | null>(null);
  const [otp, setOtp] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      setEnrolment(await api.post<{ secret: string; otpauthUrl: string }>('/me/tfa/enroll'));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ recoveryCodes: string[] }>('/me/tfa/confirm', { otp: otp.trim() });
      setCodes(answer.recoveryCodes);
    } catch (caught) {
      setError(caught);
      setOtp('');
    } finally {
      setBusy(false);
    }
  }

  if (codes) {
    return (
      <section aria-labelledby="codes-title">
        <h2 id="codes-title">Recovery codes</h2>
        <Notice tone="warning">
          Each code signs you in once if you lose your authenticator. They are shown this once: copy them now and keep them
          somewhere safe.
        </Notice>
        <ul className="codes" data-testid="recovery-codes">
          {codes.map((code) => (
            <li key={code}>
              <code>{code}</code>
            </li>
          ))}
        </ul>
        <div className="actions">
          <button type="button" onClick={() => void navigator.clipboard?.writeText(codes.join('\n')).then(() => setCopied(true))}>
            {copied ? 'Copied' : 'Copy the codes'}
          </button>
          <button type="button" className="primary" onClick={onDone}>
            I have saved them
          </button>
        </div>
      </section>
    );
  }

  return (
    <section aria-labelledby="tfa-title">
      <h2 id="tfa-title">Set up two-factor authentication</h2>
      {forced && <Notice>Your account needs a second factor before you go on.</Notice>}
      {!enrolment ? (
        <>
          <p>You will scan a QR code with an authenticator app (such as one on your phone), then enter the code it shows.</p>
          <ErrorNotice error={error} />
          <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
            Start
          </button>
        </>
      ) : (
        <form onSubmit={(e) => void confirm(e)} noValidate aria-label="Confirm the authenticator">
          <QrCode text={enrolment.otpauthUrl} label="QR code to scan with an authenticator app" />
          <p>
            Or enter this key by hand: <code data-testid="tfa-secret">{enrolment.secret}</code>
          </p>
          <TextField label="Code from the app" value={otp} onChange={setOtp} inputMode="numeric" autoComplete="one-time-code" required error={fieldError(error, 'otp')} />
          <ErrorNotice error={error} />
          <button type="submit" className="primary" disabled={busy || otp.trim().length === 0}>
            Confirm
          </button>
        </form>
      )}
    </section>
  );
}

/** What a restricted session must do before anything else: a new password, then TFA. */
export function ForcedSteps({ restriction }: { restriction: Restriction }) {
  return (
    <main className="signin" id="main">
      <h1>Identity console</h1>
      {restriction.password ? (
        <ChangePassword forced onDone={() => session.lift('password')} />
      ) : restriction.tfa ? (
        <EnrolTfa forced onDone={() => session.lift('tfa')} />
      ) : (
        <Loading />
      )}
      <p>
        <button type="button" className="link" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </p>
    </main>
  );
}
