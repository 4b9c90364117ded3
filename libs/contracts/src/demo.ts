/**
 * Fixed ids of the demo clinic (outside production only), so that every service's seed
 * refers to the same clinic and clinicians without asking each other.
 */
export const DEMO = {
  clinicId: '00000000-0000-4000-8000-000000000001',
  clinicName: 'Aftercare Demo Clinic',
  clinicTimezone: 'America/New_York',
  clinicPhone: '+12125550100',
  clinicEmail: 'frontdesk@aftercare.local',
  clinicians: [
    { id: '00000000-0000-4000-8000-000000000101', name: 'Dr. Maya Chen', email: 'clinician@aftercare.local' },
    { id: '00000000-0000-4000-8000-000000000102', name: 'Dr. Samuel Okafor', email: 'sokafor@aftercare.local' },
    { id: '00000000-0000-4000-8000-000000000103', name: 'Dr. Laura Benedetti', email: 'lbenedetti@aftercare.local' },
  ],
  resources: [
    { id: '00000000-0000-4000-8000-000000000301', kind: 'room', category: 'procedure_room', name: 'Procedure room (ultrasound)', features: ['ultrasound'] },
    { id: '00000000-0000-4000-8000-000000000302', kind: 'equipment', category: 'centrifuge', name: 'Centrifuge', features: [] },
    { id: '00000000-0000-4000-8000-000000000303', kind: 'room', category: 'consultation_room', name: 'Consultation room 1', features: [] },
    { id: '00000000-0000-4000-8000-000000000304', kind: 'room', category: 'consultation_room', name: 'Consultation room 2', features: [] },
  ],
  password: 'aftercare-demo',
  users: [
    { id: '00000000-0000-4000-8000-000000000201', email: 'admin@aftercare.local', name: 'Ada Admin', role: 'admin' },
    { id: '00000000-0000-4000-8000-000000000202', email: 'frontdesk@aftercare.local', name: 'Frank Desk', role: 'front_desk' },
    {
      id: '00000000-0000-4000-8000-000000000203',
      email: 'clinician@aftercare.local',
      name: 'Dr. Maya Chen',
      role: 'clinician',
      clinicianId: '00000000-0000-4000-8000-000000000101',
    },
  ],
} as const;
