import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { DaySheetAppointment, DaySheetResource as DaySheet } from '@aftercare/contracts';
import { describeError } from '../../api';
import { todayIn } from '../../clock';
import { AppointmentActions } from '../../components/AppointmentActions';
import { APPOINTMENT_TONES, useCatalog, type Catalog } from '../../components/desk';
import { addDays, formatLocalDate, isLocalDate } from '../../components/local-time';
import { Badge, Button, DataTable, Empty, ErrorBanner, Loading, Notice, PageHeader, TextField } from '../../components/ui';
import { APPOINTMENT_STATUS_NAMES } from '../../components/words';
import { formatTime } from '../../format';
import { useApi } from '../../hooks';
import { useUser } from '../../session';

type View = 'clinicians' | 'rooms';

/**
 * One day of the clinic: every appointment by clinician, or by room and machine, with the
 * actions the front desk works the day with. The day is in the address (?date=), so a link or
 * a reload shows the same day.
 */
export function DaySheetPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const { catalog, error: catalogError, reload: reloadCatalog } = useCatalog();
  const zone = catalog?.clinic.timezone;
  const asked = params.get('date') ?? '';
  // With no date in the address, "today" is the clinic's today: that needs its zone first.
  const date = isLocalDate(asked) ? asked : zone ? todayIn(zone) : '';
  const sheet = useApi<DaySheet>(date ? '/api/day-sheet' : null, { date });
  const [view, setView] = useState<View>('clinicians');
  const [notice, setNotice] = useState<string | null>(null);
  const setDate = (value: string) => {
    setNotice(null);
    setParams(value ? { date: value } : {}, { replace: true });
  };
  // Patient pages differ by role: the front desk's shows no clinical data, the clinician's does.
  const patientPath = (id: string) => (user.role === 'clinician' ? `/patients/${id}` : `/desk/patients/${id}`);
  const today = zone ? todayIn(zone) : '';
  const data = sheet.data && sheet.data.date === date ? sheet.data : undefined;

  return (
    <>
      <PageHeader title="Day sheet">
        {user.role !== 'clinician' ? (
          <Link className="button button-secondary" to="/desk/book">
            Book an appointment
          </Link>
        ) : null}
      </PageHeader>
      <ErrorBanner error={catalogError ? describeError(catalogError) : null} onRetry={reloadCatalog} />
      <div className="card">
        <div className="row">
          <TextField label="Day" type="date" value={date} onChange={(e) => e.target.value && setDate(e.target.value)} />
          <div className="field field-fixed">
            <div className="row row-tight">
              <Button variant="secondary" disabled={!date} onClick={() => setDate(addDays(date, -1))}>
                Previous day
              </Button>
              <Button variant="secondary" disabled={!today || date === today} onClick={() => setDate(today)}>
                Today
              </Button>
              <Button variant="secondary" disabled={!date} onClick={() => setDate(addDays(date, 1))}>
                Next day
              </Button>
            </div>
          </div>
          <div className="field field-fixed" role="group" aria-label="Show appointments">
            <div className="row row-tight">
              <Button variant={view === 'clinicians' ? 'primary' : 'secondary'} aria-pressed={view === 'clinicians'} onClick={() => setView('clinicians')}>
                By clinician
              </Button>
              <Button variant={view === 'rooms' ? 'primary' : 'secondary'} aria-pressed={view === 'rooms'} onClick={() => setView('rooms')}>
                By room and equipment
              </Button>
            </div>
          </div>
        </div>
      </div>
      {notice ? <Notice>{notice}</Notice> : null}
      <ErrorBanner error={sheet.error} onRetry={sheet.reload} />
      {!data && !sheet.error ? <Loading /> : null}
      {data && catalog ? (
        <Sheet
          sheet={data}
          view={view}
          catalog={catalog}
          patientPath={patientPath}
          canBook={user.role !== 'clinician'}
          onDone={(text) => {
            setNotice(text);
            sheet.reload();
          }}
        />
      ) : null}
    </>
  );
}

function Sheet({
  sheet,
  view,
  catalog,
  patientPath,
  canBook,
  onDone,
}: {
  sheet: DaySheet;
  view: View;
  catalog: Catalog;
  patientPath: (id: string) => string;
  canBook: boolean;
  onDone: (text: string) => void;
}) {
  const all = sheet.clinicians.flatMap((c) => c.appointments);
  const count = (status: DaySheetAppointment['status'][]) => all.filter((a) => status.includes(a.status)).length;
  const day = formatLocalDate(sheet.date);
  if (all.length === 0) {
    return (
      <Empty title={`No appointments on ${day}.`}>
        {canBook ? (
          <>
            Book one from <Link to="/desk/book">Book</Link>, or pick another day.
          </>
        ) : (
          'Pick another day.'
        )}
      </Empty>
    );
  }
  const groups =
    view === 'clinicians'
      ? sheet.clinicians.map((c) => ({ id: c.id, name: c.name, appointments: c.appointments }))
      : sheet.resources.map((r) => ({ id: r.id, name: r.name, appointments: r.appointments }));
  return (
    <>
      <div className="counts" aria-label={`${day} at a glance`} role="group">
        <div className="count count-info">
          <strong>{all.length}</strong> appointments
        </div>
        <div className="count count-warn">
          <strong>{count(['booked', 'confirmed'])}</strong> still to arrive
        </div>
        <div className="count">
          <strong>{count(['checked_in'])}</strong> checked in
        </div>
        <div className="count">
          <strong>{count(['completed'])}</strong> completed
        </div>
        <div className="count count-bad">
          <strong>{count(['no_show'])}</strong> no-shows
        </div>
      </div>
      {groups.map((g) => (
        <section key={g.id} aria-labelledby={`group-${g.id}`}>
          <h2 id={`group-${g.id}`}>
            {g.name} <span className="muted">· {g.appointments.length === 1 ? '1 appointment' : `${g.appointments.length} appointments`}</span>
          </h2>
          {g.appointments.length === 0 ? (
            <p className="muted">Nothing booked.</p>
          ) : (
            <DataTable
              label={`${g.name}, ${day}`}
              columns={['Time', 'Patient', 'Procedure', view === 'clinicians' ? 'Rooms and equipment' : 'Clinician', 'Status', 'Actions']}
              items={g.appointments}
              row={(a) => (
                <tr key={a.id}>
                  <td className="nowrap">
                    {formatTime(a.startsAt, sheet.timezone)}–{formatTime(a.endsAt, sheet.timezone)}
                  </td>
                  <td>
                    <Link to={patientPath(a.patient.id)}>{a.patient.name}</Link>
                    <div className="muted">{a.patient.phone}</div>
                  </td>
                  <td>{a.procedureName}</td>
                  <td>{view === 'clinicians' ? a.resources.map((r) => r.name).join(', ') || '—' : a.clinician.name}</td>
                  <td>
                    <Badge tone={APPOINTMENT_TONES[a.status]}>{APPOINTMENT_STATUS_NAMES[a.status]}</Badge>
                  </td>
                  <td>
                    <AppointmentActions
                      appointment={{
                        id: a.id,
                        status: a.status,
                        startsAt: a.startsAt,
                        clinicianId: a.clinician.id,
                        procedureType: a.procedureType,
                        patientId: a.patient.id,
                        patientName: a.patient.name,
                      }}
                      catalog={catalog}
                      onDone={onDone}
                    />
                  </td>
                </tr>
              )}
            />
          )}
        </section>
      ))}
    </>
  );
}
